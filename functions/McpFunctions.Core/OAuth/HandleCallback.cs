using System.Text;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Events;
using McpFunctions.Core.Providers;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.OAuth;

/// <summary>What the provider sent the user's browser back with (the callback's query).</summary>
public sealed record CallbackRequest(string? State, string? Code, string? Error, string? ErrorDescription);

/// <summary>Where the callback sends the browser: back to the chat product, or (no trustworthy state) an error page.</summary>
public abstract record CallbackOutcome
{
    private CallbackOutcome()
    {
    }

    /// <summary>Redirect to the flow's return URL, which carries <c>status=connected</c> or <c>status=error&amp;code=...</c>.</summary>
    public sealed record Redirect(Uri Location) : CallbackOutcome;

    /// <summary>The state is unknown, used or expired: no return URL can be trusted, so an error page says so.</summary>
    public sealed record Invalid(ErrorCode Code, string Message) : CallbackOutcome;
}

/// <summary>Use case: the provider's redirect back to us. Consumes the state once, exchanges the code, stores the tokens
/// (or parks them for the chat backend's confirmation), and never lets a token reach the browser.</summary>
public sealed class HandleCallback(
    OAuthProviders providers,
    IOAuthStateStore states,
    ITokenEndpoint tokenEndpoint,
    IProviderClient providerClient,
    EnvelopeEncryption encryption,
    CredentialProtector protector,
    IConnectionStore store,
    IConnectionEvents events,
    OAuthFlowSettings settings,
    TimeProvider clock,
    ILogger<HandleCallback> logger)
{
    public async Task<CallbackOutcome> ExecuteAsync(CallbackRequest request, CancellationToken cancellationToken)
    {
        if (!OneTimeCode.IsWellFormed(request.State))
        {
            return Invalid("The authorization link is missing its state or it is malformed. Start connecting again from the chat.");
        }

        var state = await states.TryConsumeStateAsync(OneTimeCode.Hash(request.State!), cancellationToken);
        if (state is null)
        {
            logger.LogWarning("OAuth callback with an unknown or already used state");
            return Invalid("This authorization was already used or is unknown. Start connecting again from the chat.");
        }

        var now = clock.GetUtcNow();
        if (state.ExpiresAt <= now)
        {
            logger.LogWarning("OAuth callback for {Provider} with an expired state (expired {ExpiresAt:o})", state.Provider, state.ExpiresAt);
            return Invalid("This authorization expired. Start connecting again from the chat.");
        }

        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["TenantId"] = state.TenantId,
            ["UserId"] = state.UserId,
            ["Provider"] = state.Provider,
            ["Account"] = state.Account,
            ["Operation"] = "oauth_callback",
        });
        if (request.Error is { } error)
        {
            var code = error == "access_denied" ? ErrorCode.OauthDenied : ErrorCode.OauthExchangeFailed;
            logger.LogInformation("The provider returned error {Error} to the callback", Sanitize(error));
            return Back(state, Failure(code, Sanitize(error)));
        }

        if (string.IsNullOrEmpty(request.Code) || request.Code.Length > 4096)
        {
            return Back(state, Failure(ErrorCode.OauthExchangeFailed, "missing_code"));
        }

        OAuthProvider provider;
        try
        {
            provider = providers.Get(state.Provider);
        }
        catch (McpFunctionsException ex)
        {
            // Configuration changed between authorize and callback.
            return Back(state, Failure(ex.Code, null));
        }

        var key = new ConnectionKey(state.TenantId, state.UserId, state.Provider, state.Account);
        string? verifier = null;
        if (state.CodeVerifier is { } sealedVerifier)
        {
            verifier = Encoding.ASCII.GetString(await encryption.OpenAsync(sealedVerifier, key, cancellationToken));
        }

        var result = await tokenEndpoint.ExchangeCodeAsync(provider.Descriptor, provider.Client, request.Code, verifier, settings.CallbackUrl, cancellationToken);
        if (result is not TokenResult.Granted granted)
        {
            var reason = result switch
            {
                TokenResult.Rejected r => r.Error,
                TokenResult.Failed f => f.Reason,
                _ => "unknown",
            };
            logger.LogWarning("Exchanging the authorization code failed: {Reason}", reason);
            return Back(state, Failure(ErrorCode.OauthExchangeFailed, Sanitize(reason)));
        }

        var tokens = granted.Tokens;
        var connection = await BuildConnectionAsync(provider, key, tokens, state.Scopes, now, cancellationToken);
        if (settings.RequireCompletion)
        {
            var completion = OneTimeCode.New();
            await states.SavePendingAsync(
                new PendingConnection(
                    OneTimeCode.Hash(completion), key.TenantId, key.UserId, key.Provider, key.Account, connection.Credential, connection.Scopes,
                    connection.Metadata, connection.ExpiresAt, connection.RefreshTokenExpiresAt, connection.RefreshAfter, now, now + settings.CompletionLifetime),
                cancellationToken);
            logger.LogInformation("OAuth tokens obtained; waiting for the chat backend to complete the connection");
            return Back(state, [new("status", "connected"), new("completion", completion)]);
        }

        await store.PutAsync(connection, cancellationToken);
        logger.LogInformation("Connected by OAuth");
        await events.PublishAsync(OAuthConnection.CreatedEvent(key, clock), cancellationToken);
        return Back(state, [new("status", "connected")]);
    }

    private async Task<Connection> BuildConnectionAsync(
        OAuthProvider provider, ConnectionKey key, TokenSet tokens, IReadOnlyList<string> requestedScopes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(tokens.Metadata, StringComparer.Ordinal);
        foreach (var (name, value) in await IdentityAsync(provider.Descriptor, key.TenantId, tokens.AccessToken, cancellationToken))
        {
            metadata.TryAdd(name, value);
        }

        var credential = tokens.ToCredential();
        var expiresAt = now + tokens.ExpiresIn;
        var refreshTokenExpiresAt = now + tokens.RefreshTokenExpiresIn;
        return new Connection(
            key,
            AuthType.OAuth2,
            ConnectionStatus.Active,
            await protector.ProtectAsync(credential, key, cancellationToken),
            tokens.Scopes ?? requestedScopes,
            metadata,
            ConnectedAt: now,
            ExpiresAt: expiresAt,
            RefreshAfter: RefreshSettings.RefreshAfter(now, expiresAt, refreshTokenExpiresAt, credential.RefreshToken is not null, provider.Settings),
            LastRefreshedAt: now,
            RefreshTokenExpiresAt: refreshTokenExpiresAt);
    }

    /// <summary>The provider's identity call with the new token, for metadata such as GitHub's login; best effort.</summary>
    private async Task<IReadOnlyDictionary<string, string>> IdentityAsync(ProviderDescriptor provider, string tenant, string accessToken, CancellationToken cancellationToken)
    {
        if (provider.Auth.Identity is not { Metadata.Count: > 0 } identity)
        {
            return new Dictionary<string, string>();
        }

        try
        {
            var reply = await providerClient.SendAsync(provider, tenant, new ProviderCall(identity.Method, identity.Path), accessToken, cancellationToken);
            return reply.IsSuccess ? ProviderMetadata.Extract(reply.Body, identity.Metadata) : new Dictionary<string, string>();
        }
        catch (McpFunctionsException ex)
        {
            // The tokens are good; a flaky identity call only costs us metadata.
            logger.LogInformation("Identity call to {Provider} failed ({Code}); connecting without its metadata", provider.Id, ex.Code.ToWire());
            return new Dictionary<string, string>();
        }
    }

    private static KeyValuePair<string, string>[] Failure(ErrorCode code, string? providerError) =>
        providerError is null
            ? [new("status", "error"), new("code", code.ToWire())]
            : [new("status", "error"), new("code", code.ToWire()), new("provider_error", providerError)];

    private static CallbackOutcome.Redirect Back(OAuthState state, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var all = parameters.Concat([new("provider", state.Provider), new("account", state.Account)]);
        var url = state.ReturnUrl.AbsoluteUri; // ToString() would decode escapes the caller put in its URL
        var separator = url.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return new CallbackOutcome.Redirect(new Uri(url + separator + string.Join('&', all.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"))));
    }

    private static CallbackOutcome.Invalid Invalid(string message) => new(ErrorCode.OauthStateInvalid, message);

    /// <summary>Provider error codes are echoed to the return URL; keep them to the RFC 6749 character set and short.</summary>
    private static string Sanitize(string value) =>
        new([.. value.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':').Take(64)]);
}

/// <summary>What every way of finishing an OAuth connection shares.</summary>
public static class OAuthConnection
{
    public static ConnectionEvent CreatedEvent(ConnectionKey key, TimeProvider clock) =>
        ConnectionEvent.Of(ConnectionEventTypes.Created, key, clock.GetUtcNow(), "oauth2");
}
