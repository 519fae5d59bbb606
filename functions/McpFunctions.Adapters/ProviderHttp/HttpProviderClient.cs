using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Providers;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;

namespace McpFunctions.Adapters.ProviderHttp;

/// <summary><see cref="IProviderClient"/> over HttpClient with a Polly pipeline per provider.</summary>
/// <remarks>Every URL is built from the provider's base URL and checked to still be under it, so no
/// argument can send the user's secret to another host.</remarks>
public sealed class HttpProviderClient(IHttpClientFactory httpClients, ResiliencePipelineRegistry<string> pipelines) : IProviderClient
{
    public const string HttpClientName = "providers";

    internal static readonly ResiliencePropertyKey<bool> Idempotent = new("mcp.idempotent");
    internal static readonly ResiliencePropertyKey<int> TimeoutSeconds = new("mcp.timeout");

    public async Task<ProviderReply> SendAsync(ProviderDescriptor provider, string tenant, ProviderCall call, string secret, CancellationToken cancellationToken)
    {
        var target = ResolveUnderBase(provider.Api.BaseUrl, call.PathAndQuery);
        var authorization = provider.Api.AuthHeader.Render(secret);
        if (!IsHeaderValue(authorization))
        {
            // Checked before the pipeline: a value no request can carry is the caller's input, not a provider failure,
            // and must never count towards opening the circuit.
            throw new McpFunctionsException(
                ErrorCode.ValidationError,
                $"The credential for {provider.DisplayName} cannot be sent in an HTTP header (only visible ASCII can); reconnect with the exact key or token.");
        }

        // One circuit per provider and tenant: a tenant whose calls fail pauses its own calls, nobody else's.
        var pipeline = pipelines.GetOrAddPipeline<ProviderReply>(
            PipelineKey(provider.Id, tenant), builder => ProviderResilience.Configure(builder));
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(Idempotent, call.IsIdempotent);
        context.Properties.Set(TimeoutSeconds, provider.Api.TimeoutSeconds);
        try
        {
            return await pipeline.ExecuteAsync(
                async (ctx, state) => await SendOnceAsync(state.provider, state.call, state.target, state.authorization, ctx.CancellationToken),
                context,
                (provider, call, target, authorization));
        }
        catch (TimeoutRejectedException)
        {
            throw new McpFunctionsException(ErrorCode.ProviderError, $"{provider.DisplayName} did not answer within {provider.Api.TimeoutSeconds} seconds.", (int)HttpStatusCode.GatewayTimeout);
        }
        catch (BrokenCircuitException)
        {
            throw new McpFunctionsException(ErrorCode.ProviderError, $"{provider.DisplayName} is failing repeatedly; calls are paused for a few seconds.", (int)HttpStatusCode.ServiceUnavailable);
        }
        catch (HttpRequestException ex)
        {
            // The exception text names the host and socket error, never headers: safe to keep as inner.
            throw new McpFunctionsException(ErrorCode.ProviderError, $"{provider.DisplayName} could not be reached.", ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The absolute URL for a call, or VALIDATION_ERROR when it would leave the base URL.</summary>
    public static Uri ResolveUnderBase(Uri baseUrl, string pathAndQuery)
    {
        if (!pathAndQuery.StartsWith('/') || pathAndQuery.StartsWith("//", StringComparison.Ordinal) || pathAndQuery.Contains('\\', StringComparison.Ordinal)
            || ClimbsInAnyEncoding(pathAndQuery.Split('?', 2)[0]))
        {
            throw OutsideBase();
        }

        var basePath = baseUrl.AbsolutePath.TrimEnd('/');
        var target = new Uri(baseUrl, basePath + pathAndQuery);
        var stays = target.Scheme == baseUrl.Scheme
            && string.Equals(target.IdnHost, baseUrl.IdnHost, StringComparison.OrdinalIgnoreCase)
            && target.Port == baseUrl.Port
            && target.AbsolutePath.StartsWith(basePath + "/", StringComparison.Ordinal)
            && !target.AbsolutePath.Contains("/../", StringComparison.Ordinal)
            && string.IsNullOrEmpty(target.UserInfo);
        return stays ? target : throw OutsideBase();
    }

    /// <summary>True when the path holds a dot segment or a backslash, as written or once percent-decoded (up to three
    /// times). The renderer never produces either, and a server or proxy that decodes <c>%2e</c>, <c>%2f</c> or <c>%5c</c>
    /// before resolving the path would climb out of the base with them, taking the user's credential along.</summary>
    private static bool ClimbsInAnyEncoding(string path)
    {
        for (var round = 0; round <= 3; round++)
        {
            if (path.Contains('\\', StringComparison.Ordinal) || path.Split('/').Any(segment => segment is "." or ".."))
            {
                return true;
            }

            var decoded = Uri.UnescapeDataString(path);
            if (decoded == path)
            {
                return false;
            }

            path = decoded;
        }

        // Still encoded after three rounds: no provider path looks like that.
        return true;
    }

    /// <summary>The resilience pipeline's key: provider and tenant.</summary>
    public static string PipelineKey(string provider, string tenant) => $"{provider}\n{tenant}";

    /// <summary>True when <paramref name="value"/> can be an HTTP header value as sent: visible ASCII, spaces and tabs.</summary>
    public static bool IsHeaderValue(string value) => value.All(c => c is '\t' or (>= ' ' and <= '~'));

    private async Task<ProviderReply> SendOnceAsync(ProviderDescriptor provider, ProviderCall call, Uri target, string authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), target);
        request.Headers.TryAddWithoutValidation(provider.Api.AuthHeader.Name, authorization);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        foreach (var (name, value) in provider.Api.Headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (!call.JsonBody.IsEmpty)
        {
            request.Content = new ReadOnlyMemoryContent(call.JsonBody);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        var client = httpClients.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var body = await ReadCappedAsync(response, provider.Api.MaxResponseBytes, () => TooLarge(provider), cancellationToken);
        return new ProviderReply((int)response.StatusCode, body)
        {
            RetryAfter = RetryAfterOf(response),
        };
    }

    /// <summary>The response body, failing with <paramref name="tooLarge"/> as soon as it passes <paramref name="cap"/> bytes.</summary>
    internal static async Task<ReadOnlyMemory<byte>> ReadCappedAsync(HttpResponseMessage response, int cap, Func<Exception> tooLarge, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > cap)
        {
            throw tooLarge();
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        // Sized from Content-Length when given; the read chunk is pooled (this runs on every tool call).
        var buffer = new MemoryStream((int)(response.Content.Headers.ContentLength ?? 4096));
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > cap)
                {
                    throw tooLarge();
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };

    private static McpFunctionsException TooLarge(ProviderDescriptor provider) =>
        new(ErrorCode.ProviderError, $"{provider.DisplayName} answered with more than {provider.Api.MaxResponseBytes} bytes; narrow the request (e.g. a smaller page_size).", (int)HttpStatusCode.BadGateway);

    private static McpFunctionsException OutsideBase() =>
        new(ErrorCode.ValidationError, "The request path is not allowed: arguments cannot change the provider's host or leave its API path.");
}
