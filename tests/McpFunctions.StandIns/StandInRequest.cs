namespace McpFunctions.StandIns;

/// <summary>One HTTP request as a stand-in received it (recorded before any fault, authentication or routing).</summary>
/// <param name="PathAndQuery">The request target as sent, e.g. <c>/api/v1/items?resourceType=app</c>.</param>
/// <param name="Headers">Every request header, names case-insensitive, multiple values joined with <c>, </c>.</param>
/// <param name="Body">The request body as text (empty when there was none).</param>
public sealed record StandInRequest(
    string Method,
    string PathAndQuery,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    DateTimeOffset ReceivedAt)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public string Path => PathAndQuery.Split('?', 2)[0];
}
