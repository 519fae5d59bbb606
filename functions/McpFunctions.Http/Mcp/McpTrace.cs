using System.Diagnostics;

namespace McpFunctions.Http.Mcp;

/// <summary>The MCP endpoint's spans: one per request, a child of the caller's trace when its <c>_meta</c> names one.</summary>
public static class McpTrace
{
    public static readonly ActivitySource Source = new("McpFunctions.Mcp");

    /// <summary>Starts the request's span under the caller's <c>traceparent</c>/<c>tracestate</c> when they parse; otherwise
    /// under whatever trace the host already has (ASP.NET Core's from the <c>traceparent</c> header). Null when nothing listens.</summary>
    public static Activity? Continue(string method, McpRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TraceParent is { } traceParent
            && ActivityContext.TryParse(traceParent, context.TraceState, isRemote: true, out var parent))
        {
            return Source.StartActivity("mcp " + method, ActivityKind.Server, parent);
        }

        return Source.StartActivity("mcp " + method, ActivityKind.Server);
    }
}
