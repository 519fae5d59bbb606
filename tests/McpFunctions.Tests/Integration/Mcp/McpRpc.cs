using System.Net;
using System.Text;
using System.Text.Json;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Tests.Integration.Mcp;

/// <summary>Raw JSON-RPC over HTTP to <c>/api/mcp</c>, as any MCP client sends it.</summary>
public static class McpRpc
{
    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(
        TestHost host, string? token, string body, Action<HttpRequestMessage>? adjust = null)
    {
        var request = host.Request(HttpMethod.Post, "/api/mcp", token, new StringContent(body, Encoding.UTF8, "application/json"));
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        adjust?.Invoke(request);
        var response = await host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
            ? JsonDocument.Parse(text).RootElement.Clone()
            : default;
        return (response.StatusCode, json, response);
    }

    public static async Task<JsonElement> CallAsync(TestHost host, string token, string method, string paramsJson = "{}")
    {
        var (status, body, response) = await PostAsync(host, token, $$$"""{"jsonrpc":"2.0","id":1,"method":"{{{method}}}","params":{{{paramsJson}}}}""");
        response.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    /// <summary>Any method; returns its JSON-RPC <c>result</c> (fails the test, showing the body, on an error).</summary>
    public static async Task<JsonElement> ResultAsync(TestHost host, string token, string method, string paramsJson = "{}")
    {
        var body = await CallAsync(host, token, method, paramsJson);
        Assert.True(body.TryGetProperty("result", out var result), $"{method}: expected a result, got {body}");
        return result;
    }

    /// <summary>tools/call; returns the CallToolResult (fails the test on a JSON-RPC error).</summary>
    public static async Task<JsonElement> ToolAsync(TestHost host, string token, string tool, string argumentsJson = "{}")
    {
        return await ResultAsync(host, token, "tools/call", $$$"""{"name":"{{{tool}}}","arguments":{{{argumentsJson}}}}""");
    }

    public static bool IsError(JsonElement result) => result.TryGetProperty("isError", out var e) && e.GetBoolean();

    public static string Text(JsonElement result) => result.GetProperty("content")[0].GetProperty("text").GetString()!;

    public static async Task<(string Token, string Key)> ConnectedUserAsync(TestHost host, string workspace, string tenant = "acme")
    {
        var key = host.Notion.AddIntegration(workspace);
        return (await ConnectKeyAsync(host, key, tenant), key);
    }

    /// <summary>A new user of <paramref name="tenant"/> with the Notion key <paramref name="key"/> connected; returns the user's token.</summary>
    public static async Task<string> ConnectKeyAsync(TestHost host, string key, string tenant = "acme")
    {
        var token = TestTokens.For("user-" + Guid.NewGuid().ToString("N"), tenant);
        using var response = await host.SendAsync(HttpMethod.Post, "/api/mcp/notion/connect", token, new StringContent($$$"""{"api_key":"{{{key}}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return token;
    }
}
