using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using McpFunctions.Core.Providers;
using McpFunctions.Tests.Fixtures;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Tests.Fuzz;

/// <summary>Generated hostile requests for every route the LocalHost maps and every JSON-RPC method, against the real
/// LocalHost: random bytes, invalid UTF-8, lone surrogates, duplicate members, deep nesting, huge numbers, wrong types,
/// oversized fields, header bombs. For every case: no 5xx, no -32603, a stable error code, and afterwards the host still
/// serves and nothing was stored for the fuzzing users.</summary>
/// <remarks>Each property runs for <c>MCP_FUZZ_SECONDS</c> (default 20, so about a minute in ./test.sh); run longer
/// locally with e.g. <c>MCP_FUZZ_SECONDS=600</c>. A failure prints CsCheck's seed: add it to <see cref="RegressionSeeds"/>
/// so the case is replayed on every run.</remarks>
[Collection(LocalHostCollection.Name)]
public sealed class FuzzTests(LocalHostFixture fixture)
{
    /// <summary>Seeds of failures found so far, replayed first by every property.</summary>
    /// <remarks>b-5OH8ZnT2Rc: <c>"jsonrpc":[]</c> made the envelope check throw (HTTP 500) instead of answering -32600.</remarks>
    private static readonly string[] RegressionSeeds = ["b-5OH8ZnT2Rc"];

    private static readonly int Seconds = int.TryParse(Environment.GetEnvironmentVariable("MCP_FUZZ_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 20;

    private static readonly string FuzzTenant = "fuzz-" + Guid.NewGuid().ToString("N")[..8];

    private static readonly string FuzzUser = "fuzz-user-" + Guid.NewGuid().ToString("N");

    private static readonly string[] Names =
    [
        "jsonrpc", "id", "method", "params", "name", "arguments", "api_key", "account", "return_url", "scopes",
        "completion", "cursor", "_meta", "query", "page_id", "filter", "page_size", "protocolVersion", "capabilities",
    ];

    private TestHost Host => fixture.Host;

    private static Gen<string> Text { get; } = Gen.Char.Array[0, 24].Select(chars => new string(chars));

    private static Gen<string> Scalar { get; } = Gen.OneOf(
        Gen.Const("null"), Gen.Const("true"), Gen.Const("false"), Gen.Const("1e400"), Gen.Const("-0"), Gen.Const("123456789012345678901234567890"),
        Gen.Const("0.1e-400"), Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture)),
        Text.Select(Quote), Gen.Const("\"\\ud800\""), Gen.Const("\"\\udfff\\ud800\""), Gen.Const("\"secret_fuzz\""),
        Gen.Const("\"notion_search_pages\""), Gen.Const("\"work\\n\""), Gen.Const("\"..\""), Gen.Const("\"2025-11-25\""), Gen.Const("\"tools/call\""),
        Gen.Int[1, 70_000].Select(n => "\"" + new string('a', n) + "\""));

    private static Gen<string> Key { get; } = Gen.OneOf(Gen.OneOf(Names.Select(Gen.Const).ToArray()), Text.Select(t => Quote(t)[1..^1]));

    private static Gen<string> Json { get; } = Value(3);

    private static Gen<byte[]> Body { get; } = Gen.OneOf(
        Gen.Byte.Array[0, 512],
        Json.Select(j => Encoding.UTF8.GetBytes(j)),
        Json.Select(j => Encoding.UTF8.GetBytes(j)).Select(Gen.Int[0, 64], Gen.Byte, (bytes, at, b) => Spliced(bytes, at, [0xC0 | (b & 0x1F), 0x28])),
        Gen.Int[1, 400].Select(n => Encoding.UTF8.GetBytes(new string('[', n) + new string(']', n))),
        Gen.Int[1, 400].Select(n => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", n)) + "1" + new string('}', n))));

    private static Gen<string?> Token { get; } = Gen.OneOf(
        Gen.Const((string?)null),
        Gen.Const<string?>("not-a-jwt"),
        Gen.Const<string?>(TestTokens.For(FuzzUser, FuzzTenant)),
        Gen.Const<string?>(TestTokens.For(FuzzUser, FuzzTenant)),
        Text.Select(t => (string?)t));

    [Fact]
    public async Task EveryRoute_AnswersHostileRequestsWithAStableCode()
    {
        var routes = Routes();
        var provider = Gen.OneOf(Gen.Const("notion"), Gen.Const("qlik"), Gen.Const("github"), Gen.Const("nope"), Gen.Const(".."), Gen.Const("%2e%2e"), Text.Select(Uri.EscapeDataString));
        var query = Gen.OneOf(Gen.Const(""), Gen.Const("?account=work%0A"), Gen.Const("?account=.."), Gen.Const("?account=%00"), Text.Select(t => "?account=" + Uri.EscapeDataString(t)),
            Text.Select(t => "?state=" + Uri.EscapeDataString(t) + "&code=" + Uri.EscapeDataString(t)));
        var cases = Gen.Select(Gen.Int[0, routes.Count - 1], provider, query, Body, Token);

        await RunAsync(cases, async c =>
        {
            var (method, template) = routes[c.Item1];
            var path = template.Replace("{provider}", c.Item2, StringComparison.Ordinal) + c.Item3;
            using var request = Host.Request(new HttpMethod(method), path, c.Item5, method is "GET" or "DELETE" ? null : Content(c.Item4));
            await AssertStableAsync(request);
        });
    }

    [Fact]
    public async Task EveryJsonRpcMethod_AnswersHostileMessagesWithoutInternalErrors()
    {
        var tools = Host.Services.GetRequiredService<ProviderCatalog>().ToolsByName.Keys.ToArray();
        var method = Gen.OneOf(
            Gen.OneOf(new[] { "initialize", "ping", "tools/list", "tools/call", "notifications/initialized", "resources/list", "logging/setLevel", "server/discover" }.Select(Gen.Const).ToArray()),
            Text);
        var tool = Gen.OneOf(Gen.OneOf(tools.Select(Gen.Const).ToArray()), Text);
        var id = Gen.OneOf(Gen.Const("1"), Gen.Const("\"x\""), Gen.Const("null"), Gen.Const("1.5"), Gen.Const("{}"), Gen.Const("99999999999999999999999"));
        var parameters = Gen.OneOf(
            Json,
            Gen.Select(tool, Json, (t, a) => $$"""{"name":{{Quote(t)}},"arguments":{{a}}}"""),
            Gen.Select(tool, Json, (t, a) => "{\"name\":" + Quote(t) + ",\"arguments\":{\"query\":" + a + ",\"account\":" + a + "}}"),
            Gen.Const("""{"protocolVersion":"1999-01-01","capabilities":{},"clientInfo":{"name":"f","version":"1"}}"""));
        var message = Gen.Select(id, method, parameters, (i, m, p) => $$"""{"jsonrpc":"2.0","id":{{i}},"method":{{Quote(m)}},"params":{{p}}}""");
        var version = Gen.OneOf(Gen.Const((string?)null), Gen.Const<string?>("2025-11-25"), Gen.Const<string?>("2025-06-18"), Gen.Const<string?>("2026-07-28"), Text.Select(t => (string?)t));
        var cases = Gen.Select(Gen.OneOf(message.Select(m => Encoding.UTF8.GetBytes(m)), Body), Token, version);

        await RunAsync(cases, async c =>
        {
            using var request = Host.Request(HttpMethod.Post, "/api/mcp", c.Item2, Content(c.Item1));
            request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
            if (c.Item3 is { } v)
            {
                request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", v);
            }

            await AssertStableAsync(request);
        });
    }

    [Fact]
    public async Task HeaderBombs_AreRefusedWithoutHarm()
    {
        var routes = Routes();
        var cases = Gen.Select(Gen.Int[0, routes.Count - 1], Gen.Int[1, 150], Gen.Int[1, 9_000], Gen.Bool);

        await RunAsync(cases, async c =>
        {
            var (method, template) = routes[c.Item1];
            using var request = Host.Request(new HttpMethod(method), template.Replace("{provider}", "notion", StringComparison.Ordinal), TestTokens.For(FuzzUser, FuzzTenant));
            for (var i = 0; i < c.Item2; i++)
            {
                request.Headers.TryAddWithoutValidation($"X-Fuzz-{i}", new string('h', c.Item3));
            }

            if (c.Item4)
            {
                request.Headers.Remove("Authorization");
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string('A', c.Item3 * 4));
            }

            try
            {
                await AssertStableAsync(request);
            }
            catch (HttpRequestException)
            {
                // Kestrel answers 431 to headers over its limits and closes the connection, sometimes before the client
                // has finished writing them: a refusal, not a failure, as long as the host serves the next request.
                using var health = await Host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
        });
    }

    private async Task RunAsync<T>(Gen<T> cases, Func<T, Task> check)
    {
        foreach (var seed in RegressionSeeds)
        {
            await cases.SampleAsync(check, seed: seed, iter: 1, threads: 1);
        }

        await cases.SampleAsync(check, iter: int.MaxValue, time: Seconds, threads: 2);

        // The host keeps serving, and nothing was stored for the fuzzing users.
        using var health = await Host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.DoesNotContain(await Host.RawConnectionDocumentsAsync(), d => d.Contains(FuzzUser, StringComparison.Ordinal));
    }

    private async Task AssertStableAsync(HttpRequestMessage request)
    {
        var sent = request.Content is null ? "" : Convert.ToBase64String(await request.Content.ReadAsByteArrayAsync());
        using var response = await Host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var what = $"{request.Method} {request.RequestUri} (body base64 {Truncate(sent)}) -> {(int)response.StatusCode} {Truncate(text)}";
        Assert.True((int)response.StatusCode < 500, what);
        if (text.Length == 0 || response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) != true)
        {
            return;
        }

        var body = JsonDocument.Parse(text).RootElement;
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            Assert.True(error.GetProperty("code").GetInt32() != -32603, what);
        }

        if ((int)response.StatusCode >= 400 && response.Content.Headers.ContentType.MediaType == "application/problem+json")
        {
            Assert.True(body.TryGetProperty("code", out var code) && code.GetString() is { Length: > 0 }, what);
        }
    }

    private List<(string Method, string Template)> Routes() =>
    [
        .. Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct()
            .OrderBy(r => r.Item2, StringComparer.Ordinal).ThenBy(r => r.m, StringComparer.Ordinal),
    ];

    private static Gen<string> Value(int depth) => depth == 0
        ? Scalar
        : Gen.OneOf(
            Scalar,
            Gen.Select(Key.Array[0, 6], Value(depth - 1).Array[6], (keys, values) =>
                "{" + string.Join(",", keys.Select((k, i) => $"\"{k}\":{values[i]}")) + "}"),
            Value(depth - 1).Array[0, 5].Select(items => "[" + string.Join(",", items) + "]"));

    private static ByteArrayContent Content(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static byte[] Spliced(byte[] bytes, int at, int[] insert)
    {
        var position = Math.Min(at, bytes.Length);
        return [.. bytes[..position], .. insert.Select(b => (byte)b), .. bytes[position..]];
    }

    /// <summary>A JSON string literal for any text, lone surrogates included (escaped as <c>\uXXXX</c>, which is itself hostile).</summary>
    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when c < ' ' || char.IsSurrogate(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }

    private static string Truncate(string text) => text.Length <= 600 ? text : text[..600] + "…";
}
