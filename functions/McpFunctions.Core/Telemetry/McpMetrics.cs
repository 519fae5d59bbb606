using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace McpFunctions.Core.Telemetry;

/// <summary>
/// What operators count, on the meter <see cref="MeterName"/>: tool calls by outcome and their duration, token
/// refreshes by trigger and outcome, webhook deliveries by outcome.
/// </summary>
/// <remarks>
/// Tags name providers, tools, events and outcomes only: never a tenant, user or account (unbounded cardinality, and
/// identities do not belong in metrics), never anything secret. Any exporter can listen: <c>dotnet-counters monitor
/// --counters McpFunctions</c> locally, OpenTelemetry's <c>AddMeter("McpFunctions")</c> in a host that exports.
/// </remarks>
public sealed class McpMetrics
{
    public const string MeterName = "McpFunctions";

    private readonly Counter<long> toolCalls;
    private readonly Histogram<double> toolDuration;
    private readonly Counter<long> refreshes;
    private readonly Counter<long> deferrals;
    private readonly Counter<long> webhookDeliveries;

    public McpMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        toolCalls = meter.CreateCounter<long>("mcpfunctions.tool.calls", "{call}", "tools/call requests that reached a tool, by provider, tool and outcome");
        toolDuration = meter.CreateHistogram<double>("mcpfunctions.tool.duration", "ms", "Time from a tools/call reaching the tool to its result, provider calls included");
        refreshes = meter.CreateCounter<long>("mcpfunctions.token.refreshes", "{refresh}", "OAuth refresh attempts by provider, trigger and outcome");
        deferrals = meter.CreateCounter<long>("mcpfunctions.token.deferrals", "{connection}", "Due connections the sweep could not refresh and moved out of its range for a backoff, by provider and reason");
        webhookDeliveries = meter.CreateCounter<long>("mcpfunctions.webhook.deliveries", "{delivery}", "Webhook delivery attempts by event and outcome");
    }

    /// <param name="outcome"><c>ok</c>, <c>authorization_required</c>, or the error code (e.g. <c>PROVIDER_ERROR</c>).</param>
    public void ToolCalled(string provider, string tool, string outcome, TimeSpan duration)
    {
        var tags = new TagList { { "provider", provider }, { "tool", tool }, { "outcome", outcome } };
        toolCalls.Add(1, tags);
        toolDuration.Record(duration.TotalMilliseconds, tags);
    }

    /// <param name="trigger"><c>expiring</c> (before a call), <c>rejected</c> (after a provider 401) or <c>sweep</c>.</param>
    /// <param name="outcome"><c>refreshed</c>, <c>not_needed</c> (another caller or instance did it), <c>unavailable</c>
    /// (failed for now, or backing off), <c>needs_reauth</c> or <c>missing</c>.</param>
    public void RefreshAttempted(string provider, string trigger, string outcome) =>
        refreshes.Add(1, new TagList { { "provider", provider }, { "trigger", trigger }, { "outcome", outcome } });

    /// <param name="reason"><c>no_oauth_client</c>, <c>provider_not_in_catalog</c>, the refresh's own reason
    /// (<c>temporarily_unavailable</c>, …) or the exception's type (a credential that does not decrypt).</param>
    public void RefreshDeferred(string provider, string reason) =>
        deferrals.Add(1, new TagList { { "provider", provider }, { "reason", reason } });

    /// <param name="outcome"><c>delivered</c>, <c>failed</c> (to be retried) or <c>dead</c> (given up).</param>
    public void WebhookAttempted(string eventType, string outcome) =>
        webhookDeliveries.Add(1, new TagList { { "event", eventType }, { "outcome", outcome } });
}
