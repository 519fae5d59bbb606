using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Tools;
using McpFunctions.Http.Mcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpFunctions.Bench;

/// <summary>
/// The CPU a tools/call costs, layer by layer: the LocalHost's own service graph (the shared registration,
/// same settings, same Cosmos database and stand-in) built in this process without Kestrel, each layer driven
/// on its own by a few concurrent callers. Differences between layers say where the LocalHost's CPU goes.
/// </summary>
public sealed class Anatomy : IAsyncDisposable
{
    private const string ToolCallJson = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + Targets.Tool + "\",\"arguments\":{}}}";
    private static readonly JsonElement NoArguments = JsonDocument.Parse("{}").RootElement;

    private readonly WebApplication app;
    private readonly Caller caller;
    private readonly string notionKey;
    private readonly Uri standIn;
    private readonly HttpClient raw = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseProxy = false });

    private Anatomy(WebApplication app, Caller caller, string notionKey, Uri standIn)
    {
        this.app = app;
        this.caller = caller;
        this.notionKey = notionKey;
        this.standIn = standIn;
    }

    /// <param name="settings">The LocalHost's environment, <c>__</c>-separated as there.</param>
    public static Anatomy Create(IReadOnlyDictionary<string, string> settings, Caller caller, string notionKey, Uri standIn) =>
        new(InProcessComposition.Build(settings), caller, notionKey, standIn);

    /// <summary>All layers warmed through the top one for <paramref name="prime"/>, then each for
    /// <paramref name="duration"/> with <paramref name="callers"/> callers after its own <paramref name="warmup"/>.</summary>
    public async Task<IReadOnlyList<LoadResult>> MeasureAsync(int callers, TimeSpan prime, TimeSpan warmup, TimeSpan duration)
    {
        var services = app.Services;
        var dispatcher = services.GetRequiredService<McpDispatcher>();
        var callTool = services.GetRequiredService<CallTool>();
        var providers = services.GetRequiredService<IProviderClient>();
        var catalog = services.GetRequiredService<ProviderCatalog>();
        var (provider, tool) = (catalog.ToolsByName[Targets.Tool].Provider, catalog.ToolsByName[Targets.Tool].Tool);
        var call = ToolRequestRenderer.Render(tool, NoArguments);
        var body = Encoding.UTF8.GetBytes(ToolCallJson);
        var me = new Uri(standIn, "v1/users/me");
        var reply = await providers.SendAsync(provider, "bench", call, notionKey, CancellationToken.None);
        var probe = new[] { new CpuProbe("bench", Environment.ProcessId) };

        var layers = new (string Name, BenchCall Call)[]
        {
            ("1 HttpClient GET to the stand-in (client + stand-in)", async ct =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, me);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", notionKey);
                request.Headers.TryAddWithoutValidation("Notion-Version", Targets.NotionVersion);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                using var response = await raw.SendAsync(request, ct);
                _ = await response.Content.ReadAsByteArrayAsync(ct);
                return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
            }),
            ("2 IProviderClient.SendAsync (1 + Polly, IHttpClientFactory, capped read)", async ct =>
                (await providers.SendAsync(provider, "bench", call, notionKey, ct)).IsSuccess ? null : "provider call failed"),
            ("3 CallTool.ExecuteAsync (2 + cached read, decrypt, render, shape)", async ct =>
                await callTool.ExecuteAsync(caller, Targets.Tool, NoArguments, ct) is ToolOutcome.Succeeded ? null : "tool failed"),
            ("4 JSON-RPC parse + McpDispatcher + result bytes (3 + protocol)", async ct =>
            {
                var request = JsonRpcEnvelope.Parse(body)!;
                var response = await dispatcher.DispatchAsync(caller, request, McpRequestContext.Legacy("2025-11-25"), ct);
                var bytes = JsonSerializer.SerializeToUtf8Bytes(response, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage)));
                return response is JsonRpcResponse && bytes.Length > 0 ? null : "dispatch failed";
            }),
            ("ToolResponseShaper.Shape alone (reply → text + structuredContent)", ct =>
                Task.FromResult(ToolResponseShaper.Shape(tool, reply.Body).Text.Length > 0 ? null : (string?)"empty")),
        };

        await LoadRunner.RunAsync("prime", callers, prime, TimeSpan.FromMilliseconds(1), layers[3].Call, []);
        await LoadRunner.RunAsync("prime", callers, prime / 2, TimeSpan.FromMilliseconds(1), layers[0].Call, []);
        var results = new List<LoadResult>();
        foreach (var (name, layer) in layers)
        {
            results.Add(await LoadRunner.RunAsync(name, callers, warmup, duration, layer, probe));
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        raw.Dispose();
        await app.DisposeAsync();
    }
}
