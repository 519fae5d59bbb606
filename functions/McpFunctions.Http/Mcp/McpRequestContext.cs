using System.Diagnostics;
using System.Text.Json.Nodes;

namespace McpFunctions.Http.Mcp;

/// <summary>What one request says about its protocol revision, read before dispatch; nothing of it is stored.</summary>
/// <param name="Version">The revision this request is served under.</param>
/// <param name="PerRequestMetadata">True for 2026-07-28 and later: version and client capabilities travel in every
/// request's <c>_meta</c>, results carry <c>resultType</c>, and connecting mid-call is an <c>input_required</c> round trip.</param>
/// <param name="ClientCapabilities">The capabilities the request declares (2026-07-28); never inferred from earlier requests.</param>
/// <param name="TraceParent">W3C <c>traceparent</c> from <c>_meta</c>, continued into our logs.</param>
/// <param name="TraceState">W3C <c>tracestate</c> from <c>_meta</c>.</param>
public sealed record McpRequestContext(
    string Version,
    bool PerRequestMetadata,
    JsonObject? ClientCapabilities = null,
    string? TraceParent = null,
    string? TraceState = null)
{
    /// <summary>A 2025 request (initialize-negotiated, or whatever its header says; the version matters to nothing we answer).</summary>
    public static McpRequestContext Legacy(string version) => new(version, PerRequestMetadata: false);

    /// <summary>The caller's trace id, when <see cref="TraceParent"/> is a valid W3C <c>traceparent</c>; logged with every line.</summary>
    public string? TraceId =>
        TraceParent is { } parent && ActivityContext.TryParse(parent, TraceState, isRemote: true, out var context)
            ? context.TraceId.ToHexString()
            : null;

    /// <summary>Whether the client declared URL-mode elicitation on this request (<c>elicitation.url</c>; an empty
    /// <c>elicitation</c> object means form mode only).</summary>
    public bool AcceptsUrlElicitation => ClientCapabilities?["elicitation"]?["url"] is JsonObject;
}
