using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace McpFunctions.Bench;

/// <summary>The requests measured: the provider call itself, and the same work as an MCP tools/call through us and through the peer.</summary>
public sealed class Targets : IDisposable
{
    public const string NotionVersion = "2022-06-28";
    public const string Tool = "notion_get_bot_user";
    public const string ProtocolVersion = "2025-11-25";

    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private static readonly byte[] ToolCallBody = Encoding.UTF8.GetBytes(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + Tool + "\",\"arguments\":{}}}");
    private static readonly byte[] PingBody = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");

    private readonly HttpClient direct;
    private readonly HttpClient us;
    private readonly HttpClient peer;
    private readonly Uri meUri;
    private readonly Uri mcpUri;
    private readonly Uri peerMcpUri;
    private readonly AuthenticationHeaderValue providerAuth;
    private readonly AuthenticationHeaderValue callerAuth;

    public Targets(Uri standIn, Uri localHost, Uri peerHost, string notionKey, string jwt)
    {
        direct = NewClient();
        us = NewClient();
        peer = NewClient();
        meUri = new Uri(standIn, "v1/users/me");
        mcpUri = new Uri(localHost, "api/mcp");
        peerMcpUri = new Uri(peerHost, "mcp");
        providerAuth = new AuthenticationHeaderValue("Bearer", notionKey);
        callerAuth = new AuthenticationHeaderValue("Bearer", jwt);
    }

    /// <summary>What the tool does at the provider: <c>GET /v1/users/me</c> with the integration's key.</summary>
    public async Task<string?> DirectAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, meUri);
        request.Headers.Authorization = providerAuth;
        request.Headers.Accept.Add(Json);
        request.Headers.TryAddWithoutValidation("Notion-Version", NotionVersion);
        using var response = await direct.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return $"direct: HTTP {(int)response.StatusCode}: {Snippet(body)}";
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("object", out var kind) && kind.ValueEquals("user"u8)
            ? null
            : $"direct: not a user object: {Snippet(body)}";
    }

    /// <summary>MCP <c>tools/call</c> of the read tool through the LocalHost, with the user's JWT.</summary>
    public Task<string?> ToolCallAsync(CancellationToken cancellationToken) =>
        McpAsync(us, McpRequest(mcpUri, ToolCallBody, callerAuth), CheckToolResult, cancellationToken);

    /// <summary>The same MCP <c>tools/call</c> through the peer: no caller authentication, the key fixed in its settings.</summary>
    /// <remarks>Stateless mode in SDK 2.4.0 answers a tools/call without a prior initialize (the bench's first call to the
    /// peer is one, checked before measuring), so every request stands alone, as through us.</remarks>
    public Task<string?> PeerToolCallAsync(CancellationToken cancellationToken) =>
        McpAsync(peer, McpRequest(peerMcpUri, ToolCallBody, callerAuth: null), CheckToolResult, cancellationToken);

    /// <summary>MCP <c>ping</c> through the LocalHost: transport, JWT validation and JSON-RPC framing only.</summary>
    public Task<string?> PingAsync(CancellationToken cancellationToken) =>
        McpAsync(us, McpRequest(mcpUri, PingBody, callerAuth), result => result.ValueKind == JsonValueKind.Object ? null : "ping: result is not an object", cancellationToken);

    /// <summary>One tools/call through us (or the peer), its answer for the record.</summary>
    public async Task<string> ToolCallTextAsync(bool throughPeer, CancellationToken cancellationToken)
    {
        using var request = throughPeer ? McpRequest(peerMcpUri, ToolCallBody, callerAuth: null) : McpRequest(mcpUri, ToolCallBody, callerAuth);
        using var response = await (throughPeer ? peer : us).SendAsync(request, cancellationToken);
        return $"HTTP {(int)response.StatusCode} {response.Content.Headers.ContentType} {await response.Content.ReadAsStringAsync(cancellationToken)}";
    }

    public void Dispose()
    {
        direct.Dispose();
        us.Dispose();
        peer.Dispose();
    }

    private static async Task<string?> McpAsync(HttpClient client, HttpRequestMessage request, Func<JsonElement, string?> check, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await client.SendAsync(request, cancellationToken);
            var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return $"mcp: HTTP {(int)response.StatusCode}: {Snippet(answer)}";
            }

            if (JsonRpcMessage(answer, response.Content.Headers.ContentType) is not { } message)
            {
                return $"mcp: no JSON-RPC message in the event stream: {Snippet(answer)}";
            }

            using var document = JsonDocument.Parse(message);
            if (!document.RootElement.TryGetProperty("result", out var result))
            {
                return $"mcp: no result: {Snippet(answer)}";
            }

            return check(result) is { } problem ? $"{problem}: {Snippet(answer)}" : null;
        }
    }

    /// <summary>The response message: the body itself, or in an event stream (the SDK's default answer) the last
    /// <c>data:</c> line, since any notifications come before the response.</summary>
    private static ReadOnlyMemory<byte>? JsonRpcMessage(byte[] answer, MediaTypeHeaderValue? contentType)
    {
        if (contentType?.MediaType != "text/event-stream")
        {
            return answer;
        }

        ReadOnlyMemory<byte>? last = null;
        ReadOnlyMemory<byte> rest = answer;
        while (rest.Length > 0)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
            if (line.Span.StartsWith("data:"u8))
            {
                var data = line[5..];
                data = data.Span.StartsWith(" "u8) ? data[1..] : data;
                last = data.Span.EndsWith("\r"u8) ? data[..^1] : data;
            }
        }

        return last;
    }

    private static string? CheckToolResult(JsonElement result)
    {
        if (result.TryGetProperty("isError", out var isError) && isError.ValueKind == JsonValueKind.True)
        {
            return "tools/call: isError";
        }

        return result.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array && content.GetArrayLength() > 0
            ? null
            : "tools/call: no content";
    }

    /// <summary>A Streamable HTTP POST: JSON body, both media types accepted, the protocol version header.</summary>
    private static HttpRequestMessage McpRequest(Uri uri, byte[] body, AuthenticationHeaderValue? callerAuth)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonContentType;
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        request.Headers.Authorization = callerAuth;
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", ProtocolVersion);
        return request;
    }

    private static HttpClient NewClient() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 64,
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private static string Snippet(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length <= 300 ? text : text[..300] + "…";
    }
}
