namespace McpFunctions.StandIns.Notion;

/// <summary>One HTTP request as the Notion stand-in received it (recorded before any fault, auth or routing).</summary>
/// <param name="Method">HTTP method, e.g. <c>GET</c>.</param>
/// <param name="PathAndQuery">The request target as sent: path plus query string, e.g. <c>/v1/blocks/…/children?page_size=50</c>.</param>
/// <param name="Authorization">The raw <c>Authorization</c> header value, or null when absent.</param>
/// <param name="NotionVersion">The raw <c>Notion-Version</c> header value, or null when absent.</param>
/// <param name="Body">The request body as text (empty when there was none).</param>
/// <param name="ReceivedAt">When the stand-in received the request.</param>
public sealed record RecordedRequest(
    string Method,
    string PathAndQuery,
    string? Authorization,
    string? NotionVersion,
    string Body,
    DateTimeOffset ReceivedAt);
