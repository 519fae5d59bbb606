using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Adapters.ProviderHttp;

/// <summary><see cref="ITokenEndpoint"/> over HttpClient: RFC 6749 token requests and RFC 7009 revocation, plus the
/// dialects the catalog names (JSON bodies, GitHub's errors inside HTTP 200, GitHub's and Notion's revocation).</summary>
/// <remarks>No automatic retries: with rotating refresh tokens a retried refresh could present a token the
/// provider has already consumed and so revoke the user's whole grant. A failure is returned; the caller
/// backs off and tries later with whatever the document then holds.</remarks>
public sealed class HttpTokenEndpoint(IHttpClientFactory httpClients, ILogger<HttpTokenEndpoint> logger) : ITokenEndpoint
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Token responses are small; anything bigger is not a token response.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    public Task<TokenResult> ExchangeCodeAsync(
        ProviderDescriptor provider, OAuthClientCredentials client, string code, string? codeVerifier, Uri redirectUri, CancellationToken cancellationToken)
    {
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "authorization_code"),
            new("code", code),
            new("redirect_uri", redirectUri.ToString()),
        };
        if (codeVerifier is not null)
        {
            parameters.Add(new("code_verifier", codeVerifier));
        }

        return RequestTokenAsync(provider, client, parameters, cancellationToken);
    }

    public Task<TokenResult> RefreshAsync(ProviderDescriptor provider, OAuthClientCredentials client, string refreshToken, CancellationToken cancellationToken) =>
        RequestTokenAsync(provider, client, [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)], cancellationToken);

    public async Task<RevocationOutcome> RevokeAsync(ProviderDescriptor provider, OAuthClientCredentials client, Credential credential, CancellationToken cancellationToken)
    {
        var settings = Settings(provider);
        if (settings.Revocation is not { } revocation)
        {
            return RevocationOutcome.NotSupported;
        }

        var endpoint = new OAuthProvider(provider, settings, client).RevocationEndpoint!;
        using var request = revocation.Style switch
        {
            // RFC 7009: revoking the refresh token revokes the grant at most servers; the access token otherwise.
            OAuthRevocation.Rfc7009 => FormRequest(
                endpoint,
                settings.ClientAuth,
                client,
                credential.RefreshToken is { } refresh
                    ? [new("token", refresh), new("token_type_hint", "refresh_token")]
                    : [new("token", credential.AccessToken ?? ""), new("token_type_hint", "access_token")],
                settings.TokenRequestFormat),
            OAuthRevocation.JsonToken => JsonRequest(HttpMethod.Post, endpoint, client, "token", credential.AccessToken ?? "", provider),
            OAuthRevocation.GitHubGrant => JsonRequest(HttpMethod.Delete, endpoint, client, "access_token", credential.AccessToken ?? "", provider),
            _ => throw new InvalidOperationException($"Unknown revocation style '{revocation.Style}'."),
        };
        try
        {
            using var response = await SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return RevocationOutcome.Revoked;
            }

            logger.LogWarning("Revocation at {Provider} answered HTTP {Status}", provider.Id, (int)response.StatusCode);
            return RevocationOutcome.Failed;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning("Revocation at {Provider} failed: {Error}", provider.Id, ex.GetType().Name);
            return RevocationOutcome.Failed;
        }
    }

    private async Task<TokenResult> RequestTokenAsync(
        ProviderDescriptor provider, OAuthClientCredentials client, List<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var settings = Settings(provider);
        var endpoint = new OAuthProvider(provider, settings, client).TokenEndpoint;
        using var request = FormRequest(endpoint, settings.ClientAuth, client, parameters, settings.TokenRequestFormat);
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            logger.LogWarning("Token endpoint of {Provider} unreachable: {Error}", provider.Id, ex.HttpRequestError);
            return new TokenResult.Failed("network", null, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Token endpoint of {Provider} did not answer within {Timeout}", provider.Id, RequestTimeout);
            return new TokenResult.Failed("timeout", null, null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var retryAfter = HttpProviderClient.RetryAfterOf(response);
            ReadOnlyMemory<byte> body;
            try
            {
                body = await HttpProviderClient.ReadCappedAsync(response, MaxResponseBytes, () => new InvalidDataException("too large"), cancellationToken);
            }
            catch (InvalidDataException)
            {
                return new TokenResult.Failed("invalid_response", status, retryAfter);
            }

            return Interpret(settings, status, body, retryAfter);
        }
    }

    /// <summary>Reads a token response. GitHub reports errors with HTTP 200 and an <c>error</c> field, so the field decides.</summary>
    internal static TokenResult Interpret(OAuthSettings settings, int status, ReadOnlyMemory<byte> body, TimeSpan? retryAfter)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return new TokenResult.Failed(status is >= 200 and < 300 ? "invalid_response" : $"http_{status}", status, retryAfter);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new TokenResult.Failed("invalid_response", status, retryAfter);
            }

            if ((Text(root, "error") ?? QlikStyleError(root)) is { } error)
            {
                // The description is the provider's prose about our request; it never echoes the token itself.
                var description = Text(root, "error_description");
                return settings.IsInvalidGrant(error)
                    ? new TokenResult.Rejected(error, description)
                    : new TokenResult.Failed(error, status, retryAfter);
            }

            if (status is < 200 or >= 300)
            {
                return new TokenResult.Failed($"http_{status}", status, retryAfter);
            }

            if (Text(root, "access_token") is not { Length: > 0 } accessToken)
            {
                return new TokenResult.Failed("invalid_response", status, retryAfter);
            }

            var scopes = Text(root, "scope") is { } scope
                ? scope.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)
                : null;
            return new TokenResult.Granted(new TokenSet(
                accessToken,
                Text(root, "refresh_token") is { Length: > 0 } refresh ? refresh : null,
                Text(root, "token_type") ?? "Bearer",
                Seconds(root, "expires_in"),
                Seconds(root, "refresh_token_expires_in"),
                scopes is { Length: > 0 } ? scopes : null,
                ProviderMetadata.Extract(root, settings.TokenMetadata)));
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        var client = httpClients.CreateClient(HttpProviderClient.HttpClientName);
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
    }

    private static HttpRequestMessage FormRequest(
        Uri endpoint, string clientAuth, OAuthClientCredentials client, IEnumerable<KeyValuePair<string, string>> parameters, string format)
    {
        var all = parameters.ToList();
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (clientAuth == OAuthSettings.ClientSecretPost)
        {
            all.Add(new("client_id", client.ClientId));
            all.Add(new("client_secret", client.ClientSecret));
        }
        else
        {
            request.Headers.Authorization = Basic(client);
        }

        request.Content = format == OAuthSettings.JsonFormat
            ? new StringContent(JsonObject(all), Encoding.UTF8, "application/json")
            : new FormUrlEncodedContent(all);
        return request;
    }

    private static HttpRequestMessage JsonRequest(HttpMethod method, Uri endpoint, OAuthClientCredentials client, string field, string token, ProviderDescriptor provider)
    {
        var request = new HttpRequestMessage(method, endpoint);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        // These endpoints live on the provider's API host and want its fixed headers (Notion-Version, GitHub's API version).
        foreach (var (name, value) in provider.Api.Headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.Authorization = Basic(client);
        request.Content = new StringContent(JsonObject([new(field, token)]), Encoding.UTF8, "application/json");
        return request;
    }

    /// <summary>RFC 6749 §2.3.1: client id and secret form-encoded, then joined with a colon and base64-encoded.</summary>
    private static AuthenticationHeaderValue Basic(OAuthClientCredentials client) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(client.ClientId)}:{Uri.EscapeDataString(client.ClientSecret)}")));

    private static string JsonObject(IEnumerable<KeyValuePair<string, string>> fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static OAuthSettings Settings(ProviderDescriptor provider) =>
        provider.Auth.OAuth ?? throw new InvalidOperationException($"Provider '{provider.Id}' has no auth.oauth section.");

    /// <summary>Qlik Cloud answers token errors without RFC 6749's <c>error</c>: <c>{"errors":[{"code":"OAUTH-5",...}]}</c>.</summary>
    private static string? QlikStyleError(JsonElement root) =>
        root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
            && errors[0].ValueKind == JsonValueKind.Object
            ? Text(errors[0], "code")
            : null;

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A lifetime in seconds, as a number or (some providers) a numeric string; absent or nonsense means unknown.</summary>
    private static TimeSpan? Seconds(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        double seconds;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number))
        {
            seconds = number;
        }
        else if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            seconds = parsed;
        }
        else
        {
            return null;
        }

        return seconds is > 0 and < 10 * 365 * 24 * 3600 ? TimeSpan.FromSeconds(seconds) : null;
    }
}
