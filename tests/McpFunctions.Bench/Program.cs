using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Bench;
using McpFunctions.Core.Connections;
using McpFunctions.Http.Auth;
using McpFunctions.StandIns.Notion;

// ./bench.sh runs this with the local stack's settings in the environment (tools/stack.sh).
if (args is ["--sweep", .. var sweepArguments])
{
    return await SweepBench.RunAsync(SweepSettings.Parse(sweepArguments));
}

var settings = BenchSettings.Parse(args);
string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
    ? v
    : throw new InvalidOperationException($"{name} is not set: run through ./bench.sh (it starts the local stack).");
void Say(string text) => Console.Error.WriteLine($"bench: {text}");

var cosmosEndpoint = Env("COSMOS__accountEndpoint");
var cosmosKey = Env("COSMOS__accountKey");
var redis = Env("REDIS_CONNECTION_STRING");
var outputDir = Path.GetDirectoryName(settings.OutputPath)!;
Directory.CreateDirectory(outputDir);

var started = DateTimeOffset.UtcNow;
var databaseName = "bench-" + Guid.NewGuid().ToString("N")[..12];
var encryptionKey = LocalKeyRing.GenerateBase64Key();
var auth = new AuthOptions
{
    SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
    Issuer = "mcpfunctions-bench",
    Audience = "mcpfunctions",
};
var caller = new Caller("bench-tenant", "bench-user");
var jwt = DevelopmentTokens.Mint(auth, caller.UserId, caller.TenantId, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

await using var notion = await NotionStandIn.StartAsync();
var notionKey = notion.AddIntegration("Bench Workspace", "Bench Bot");
Say($"Notion stand-in on {notion.BaseUrl}");

var environment = new Dictionary<string, string>
{
    ["ASPNETCORE_ENVIRONMENT"] = "Production",
    ["MCP_ENCRYPTION_KEY"] = encryptionKey,
    ["Auth__SigningKey"] = auth.SigningKey,
    ["Auth__Issuer"] = auth.Issuer,
    ["Auth__Audience"] = auth.Audience,
    ["COSMOS__accountEndpoint"] = cosmosEndpoint,
    ["COSMOS__accountKey"] = cosmosKey,
    ["COSMOS__trustLoopbackCertificate"] = Environment.GetEnvironmentVariable("COSMOS__trustLoopbackCertificate") ?? "true",
    ["COSMOS__databaseName"] = databaseName,
    ["REDIS_CONNECTION_STRING"] = redis,
    ["Providers__notion__BaseUrl"] = notion.BaseUrl.ToString(),
    ["Logging__LogLevel__Default"] = "Warning",
    // Start and shutdown lines: a host stopped from outside (SIGTERM, exit code 0) says so in its log.
    ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
};
foreach (var (name, value) in settings.HostEnvironment)
{
    environment[name] = value;
}

var hostLog = Path.Combine(outputDir, "localhost.log");
await using var host = await LocalHostProcess.StartAsync(settings.LocalHostDll, environment, hostLog, TimeSpan.FromSeconds(60));
var startRss = ProcStat.RssBytes(host.Pid) ?? 0;
Say($"LocalHost pid {host.Pid} on {host.BaseAddress} (log {hostLog}), RSS {startRss / 1048576.0:0.0} MB");

// The peer: what a user would otherwise run, the same provider call with the same key fixed in its settings.
var peerLog = Path.Combine(outputDir, "peer.log");
var peerEnvironment = new Dictionary<string, string>
{
    ["ASPNETCORE_ENVIRONMENT"] = "Production",
    ["Logging__LogLevel__Default"] = "Warning",
    ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
    ["NOTION_BASE_URL"] = notion.BaseUrl.ToString(),
    ["NOTION_API_KEY"] = notionKey,
};
await using var peer = await LocalHostProcess.StartAsync(settings.PeerDll, peerEnvironment, peerLog, TimeSpan.FromSeconds(60), healthPath: "health");
Say($"peer pid {peer.Pid} on {peer.BaseAddress} (log {peerLog}), RSS {(ProcStat.RssBytes(peer.Pid) ?? 0) / 1048576.0:0.0} MB");

// The most resident memory seen, sampled through the whole run.
long maxSampledRss = startRss;
using var stopSampling = new CancellationTokenSource();
var rssSampler = Task.Run(async () =>
{
    while (!stopSampling.IsCancellationRequested)
    {
        if (ProcStat.RssBytes(host.Pid) is { } rss && rss > Interlocked.Read(ref maxSampledRss))
        {
            Interlocked.Exchange(ref maxSampledRss, rss);
        }

        try
        {
            await Task.Delay(200, stopSampling.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
});

// The user connects their Notion integration key, as a client would.
using (var http = new HttpClient { BaseAddress = host.BaseAddress })
using (var connect = new HttpRequestMessage(HttpMethod.Post, "api/mcp/notion/connect"))
{
    connect.Headers.Authorization = new("Bearer", jwt);
    connect.Content = new StringContent($$"""{"api_key":"{{notionKey}}"}""", Encoding.UTF8, "application/json");
    using var response = await http.SendAsync(connect);
    if (response.StatusCode != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"Connecting Notion failed: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

using var targets = new Targets(notion.BaseUrl, host.BaseAddress, peer.BaseAddress, notionKey, jwt);
foreach (var throughPeer in new[] { false, true })
{
    var firstCall = await targets.ToolCallTextAsync(throughPeer, CancellationToken.None);
    Say($"first tools/call {(throughPeer ? "through the peer" : "through us")}: {(firstCall.Length > 240 ? firstCall[..240] + "…" : firstCall)}");
}

if (await targets.ToolCallAsync(CancellationToken.None) is { } broken)
{
    throw new InvalidOperationException($"tools/call does not work: {broken}");
}

// Without an initialize first: stateless mode must answer a lone tools/call, or every caller would need a handshake.
if (await targets.PeerToolCallAsync(CancellationToken.None) is { } peerBroken)
{
    throw new InvalidOperationException($"tools/call through the peer does not work: {peerBroken}");
}

using var splits = new Splits(
    new CosmosOptions
    {
        AccountEndpoint = new Uri(cosmosEndpoint),
        AccountKey = cosmosKey,
        DatabaseName = databaseName,
        TrustLoopbackCertificate = true,
    },
    encryptionKey,
    auth,
    caller.KeyFor("notion", ConnectionKey.DefaultAccount));

var probes = new List<CpuProbe> { new(Report.LocalHostCpu, host.Pid), new(Report.PeerCpu, peer.Pid) };
if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_COSMOS_PID"), CultureInfo.InvariantCulture, out var cosmosPid) && ProcStat.CpuTime(cosmosPid) is not null)
{
    probes.Add(new(Report.CosmosCpu, cosmosPid));
}

if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_REDIS_PID"), CultureInfo.InvariantCulture, out var redisPid) && ProcStat.CpuTime(redisPid) is not null)
{
    probes.Add(new(Report.RedisCpu, redisPid));
}

probes.Add(new(Report.BenchCpu, Environment.ProcessId));

var runs = new List<LoadResult>();
var lastUsedWrites = new Dictionary<LoadResult, int>();

// Prime (the warm-up): JIT tiering, connection pools and caches of both servers settle before anything is measured.
Say($"prime: tools/call through us and through the peer with {settings.Callers.Max()} callers each, and direct calls, for {settings.Prime.TotalSeconds:0.#} s (not recorded)");
await Task.WhenAll(
    LoadRunner.RunAsync("prime", settings.Callers.Max(), settings.Prime, TimeSpan.FromMilliseconds(1), targets.ToolCallAsync, []),
    LoadRunner.RunAsync("prime", settings.Callers.Max(), settings.Prime, TimeSpan.FromMilliseconds(1), targets.PeerToolCallAsync, []),
    LoadRunner.RunAsync("prime", 2, settings.Prime, TimeSpan.FromMilliseconds(1), targets.DirectAsync, []));
var warmRss = ProcStat.RssBytes(host.Pid) ?? 0;

// Rounds interleave the three targets, so a drift of the shared machine touches each alike; the report takes medians.
for (var round = 1; round <= settings.Rounds; round++)
{
    foreach (var callers in settings.Callers)
    {
        runs.Add(await RunAsync(Report.Direct, callers, settings.Duration, targets.DirectAsync, round));
        runs.Add(await RunAsync(Report.PeerToolCall, callers, settings.Duration, targets.PeerToolCallAsync, round));

        var before = await splits.LastUsedAtAsync();
        var toolCalls = await RunAsync(Report.ToolCall, callers, settings.Duration, targets.ToolCallAsync, round);
        var after = await splits.LastUsedAtAsync();
        runs.Add(toolCalls);
        // At most one write per minute per connection: count minutes crossed, at least one if it changed.
        lastUsedWrites[toolCalls] = before == after ? 0 : Math.Max(1, (int)((after - before)?.TotalMinutes ?? 1));

        // The front door alone needs no repeating: it is a split, not a compared target.
        if (round == 1)
        {
            runs.Add(await RunAsync(Report.Ping, callers, settings.PingDuration, targets.PingAsync, round));
        }
    }
}

var afterRunsRss = ProcStat.RssBytes(host.Pid) ?? 0;

var delayedRuns = new List<LoadResult>();
if (settings.ProviderDelay > TimeSpan.Zero)
{
    // Not the target's workload: a provider that takes as long as a real API, where we add our time but not our throughput limit.
    notion.ResponseDelay = settings.ProviderDelay;
    var callers = settings.Callers.Max();
    delayedRuns.Add(await RunAsync(Report.Direct, callers, settings.PingDuration, targets.DirectAsync));
    delayedRuns.Add(await RunAsync(Report.ToolCall, callers, settings.PingDuration, targets.ToolCallAsync));
    notion.ResponseDelay = TimeSpan.Zero;
}

Say("timeline: 2000 calls one at a time, cut where the stand-in received the provider request");
var timelines = new List<Timeline>
{
    await Timeline.MeasureAsync(Report.Direct, notion, targets.DirectAsync, 2000),
    await Timeline.MeasureAsync(Report.ToolCall, notion, targets.ToolCallAsync, 2000),
};

// What the local Cosmos server sustains alone, with as many callers as the busiest run.
runs.Add(await RunAsync(Report.CosmosRead, settings.Callers.Max(), settings.PingDuration, splits.PointReadAsync));

Say("anatomy: the LocalHost's layers in-process, 4 callers each");
IReadOnlyList<LoadResult> anatomy;
await using (var layers = Anatomy.Create(environment, caller, notionKey, notion.BaseUrl))
{
    anatomy = await layers.MeasureAsync(4, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(2));
}

Say("timing the steps in-process");
var splitTimings = await splits.MeasureAsync(jwt, settings.PingDuration);
await stopSampling.CancelAsync();
await rssSampler;
var peakRss = ProcStat.PeakRssBytes(host.Pid) ?? 0;

var report = new Report
{
    Started = started,
    Machine = await Machine.DescribeAsync(),
    Settings = settings,
    Runs = runs,
    Memory = new Memory(startRss, warmRss, afterRunsRss, Interlocked.Read(ref maxSampledRss), peakRss),
    LastUsedWrites = lastUsedWrites,
    Splits = splitTimings,
    Timelines = timelines,
    Anatomy = anatomy,
    DelayedRuns = delayedRuns,
    CacheSeconds = environment.TryGetValue("Cache__ConnectionSeconds", out var ttl) && double.TryParse(ttl, CultureInfo.InvariantCulture, out var seconds)
        ? seconds
        : new McpFunctions.Adapters.Caching.ConnectionCacheOptions().ConnectionSeconds,
};
var markdown = report.Render();
await File.WriteAllTextAsync(settings.OutputPath, markdown);
Console.Out.Write(markdown);
Say($"results written to {settings.OutputPath}");

try
{
    await splits.DeleteDatabaseAsync();
}
catch (Exception ex)
{
    Say($"could not delete database {databaseName}: {ex.Message}");
}

return report.Valid ? 0 : 1;

async Task<LoadResult> RunAsync(string target, int callers, TimeSpan duration, BenchCall call, int round = 1)
{
    Say($"{target}, {callers} caller(s){(settings.Rounds > 1 ? $", round {round}" : "")}: {settings.Warmup.TotalSeconds:0.#} s warm-up + {duration.TotalSeconds:0.#} s");
    notion.ClearRequests();
    var result = await LoadRunner.RunAsync(target, callers, settings.Warmup, duration, call, probes, round: round);
    notion.ClearRequests();
    foreach (var server in new[] { host, peer })
    {
        if (result.Failures > 0 && server.Exited is { } exited)
        {
            Say($"  {exited}");
        }
    }

    Say($"  {result.Count} ok, {result.Failures} failed, {result.Throughput:0} req/s, p50 {result.PercentileMs(50):0.000} ms, p99 {result.PercentileMs(99):0.000} ms"
        + (result.FirstFailure is { } f ? $"; first failure: {f}" : ""));
    return result;
}
