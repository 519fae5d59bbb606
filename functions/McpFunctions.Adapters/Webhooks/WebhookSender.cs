using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using McpFunctions.Core.Events;

namespace McpFunctions.Adapters.Webhooks;

/// <summary>POSTs one event to <c>WEBHOOK_URL</c>, signed, within the timeout; says how it went and never throws for a failed send.</summary>
public sealed class WebhookSender(
    IHttpClientFactory httpClients,
    WebhookOptions options,
    TimeProvider clock,
    JsonTypeInfo<ConnectionEvent> eventType)
{
    /// <summary>The named HttpClient (registered without redirects: a Location must not receive our signed body).</summary>
    public const string HttpClientName = "webhooks";

    public const string EventHeader = "X-McpFunctions-Event";
    public const string DeliveryHeader = "X-McpFunctions-Delivery";

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };
    private static readonly ProductInfoHeaderValue UserAgent = new("McpFunctions-Webhooks", "1");

    public async Task<WebhookSendResult> SendAsync(ConnectionEvent connectionEvent, CancellationToken cancellationToken)
    {
        var url = options.Url ?? throw new InvalidOperationException($"{WebhookOptions.UrlSetting} is not set.");
        var body = JsonSerializer.SerializeToUtf8Bytes(connectionEvent, eventType);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.UserAgent.Add(UserAgent);
        request.Headers.Add(EventHeader, connectionEvent.Type);
        request.Headers.Add(DeliveryHeader, connectionEvent.Id);
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Create(options.Secret, clock.GetUtcNow().ToUnixTimeSeconds(), body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds));
        try
        {
            // Headers only: the receiver's body means nothing to us, and not reading it bounds what we accept.
            using var response = await httpClients.CreateClient(HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            var reason = Enum.IsDefined(response.StatusCode) ? response.StatusCode.ToString() : "Http" + status;
            return new WebhookSendResult(
                response.IsSuccessStatusCode ? WebhookOutcome.Delivered
                    : response.StatusCode == HttpStatusCode.Gone ? WebhookOutcome.Gone
                    : WebhookOutcome.Retry,
                status,
                reason);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookSendResult(WebhookOutcome.Retry, null, "Timeout");
        }
        catch (HttpRequestException e)
        {
            // The error kind only: the exception's message names the host and port, which may be private.
            return new WebhookSendResult(WebhookOutcome.Retry, null, e.HttpRequestError.ToString());
        }
    }
}

/// <summary>What one attempt achieved: <paramref name="Status"/> is the receiver's HTTP status, null when none came back.</summary>
public sealed record WebhookSendResult(WebhookOutcome Outcome, int? Status, string Reason)
{
    public WebhookError Error => new(Status, Reason);

    public override string ToString() => Status is { } status ? $"{status.ToString(System.Globalization.CultureInfo.InvariantCulture)} {Reason}" : Reason;
}

public enum WebhookOutcome
{
    /// <summary>2xx: done.</summary>
    Delivered,

    /// <summary>Anything else, or no answer: try again later.</summary>
    Retry,

    /// <summary>410: the receiver says this will never be accepted; stop.</summary>
    Gone,
}
