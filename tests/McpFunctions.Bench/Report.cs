using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace McpFunctions.Bench;

public sealed record Machine(int Cores, string Cpu, long MemoryBytes, string Sdk, string Runtime, string Os)
{
    /// <summary>This machine, from /proc and <c>dotnet --version</c>.</summary>
    public static async Task<Machine> DescribeAsync()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        string sdk;
        try
        {
            using var dotnet = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            sdk = (await dotnet.StandardOutput.ReadToEndAsync()).Trim();
            await dotnet.WaitForExitAsync();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            sdk = "unknown";
        }

        return new Machine(
            Environment.ProcessorCount,
            cpu,
            long.Parse(memKb, CultureInfo.InvariantCulture) * 1024,
            sdk,
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription);
    }
}

public sealed record Memory(long StartRss, long WarmRss, long AfterRunsRss, long MaxSampledRss, long PeakRss);

/// <summary>Everything one bench run measured, rendered as markdown.</summary>
public sealed class Report
{
    public const string Direct = "direct (stand-in)";
    public const string ToolCall = "through us: tools/call";
    public const string PeerToolCall = "peer: tools/call";
    public const string Ping = "through us: ping";
    public const string CosmosRead = "Cosmos point read only";

    public const string LocalHostCpu = "LocalHost";
    public const string PeerCpu = "peer";
    public const string CosmosCpu = "Cosmos server (node)";
    public const string RedisCpu = "Redis";
    public const string BenchCpu = "bench (clients + stand-in)";

    /// <summary>Other processes' CPU, in cores, above which a run counts as noisy.</summary>
    public const double NoisyCores = 0.1;

    /// <summary>Our CPU per tools/call over the peer's that we aim at: about what was measured outside the project
    /// for a server doing our extra work (JWT validation, credential lookup, decryption, the lastUsedAt write).</summary>
    public const double CpuRatioTarget = 1.3;

    public required DateTimeOffset Started { get; init; }

    public required Machine Machine { get; init; }

    public required BenchSettings Settings { get; init; }

    public required IReadOnlyList<LoadResult> Runs { get; init; }

    public required Memory Memory { get; init; }

    /// <summary>lastUsedAt writes the LocalHost made during each tools/call run.</summary>
    public required IReadOnlyDictionary<LoadResult, int> LastUsedWrites { get; init; }

    public required IReadOnlyList<SplitTiming> Splits { get; init; }

    public required IReadOnlyList<Timeline> Timelines { get; init; }

    public required IReadOnlyList<LoadResult> Anatomy { get; init; }

    /// <summary>The LocalHost's connection cache lifetime (<c>Cache:ConnectionSeconds</c>); 0 = off.</summary>
    public required double CacheSeconds { get; init; }

    /// <summary>Direct and tools/call again with the stand-in answering after <see cref="BenchSettings.ProviderDelay"/>.</summary>
    public required IReadOnlyList<LoadResult> DelayedRuns { get; init; }

    public int Failures => Runs.Concat(DelayedRuns).Sum(r => r.Failures);

    public bool Valid => Failures == 0 && Runs.Concat(DelayedRuns).All(r => r.Count > 0);

    public string Render()
    {
        var md = new StringBuilder();
        Line(md, $"## Bench results — {Started:yyyy-MM-dd HH:mm} UTC");
        Line(md);
        Line(md, $"Machine: {Machine.Cores} cores ({Machine.Cpu}), {Machine.MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB RAM, {Machine.Os}; .NET SDK {Machine.Sdk}, runtime {Machine.Runtime}.");
        Line(md, $"After a {Settings.Prime.TotalSeconds:0.#} s warm-up of the LocalHost and the peer (JIT, pools, cache), {Settings.Rounds} round(s) of runs interleaving the targets; each run: {Settings.Warmup.TotalSeconds:0.#} s warm-up, then {Settings.Duration.TotalSeconds:0.#} s measured (ping: {Settings.PingDuration.TotalSeconds:0.#} s, first round only); closed loop, each caller sends its next request when the last one answered.");
        if (Settings.HostEnvironment.Count > 0)
        {
            Line(md, $"Experiment: LocalHost environment adds {string.Join(", ", Settings.HostEnvironment.Select(e => $"`{e.Key}={e.Value}`"))}.");
        }

        Line(md, Valid
            ? "Valid run: every measured request answered 200 with a non-error result."
            : $"**INVALID RUN: {Failures} failed request(s).** First: {Runs.Concat(DelayedRuns).FirstOrDefault(r => r.FirstFailure is not null)?.FirstFailure}");
        Line(md);
        RenderPeerComparison(md);

        Line(md, "### Latency and throughput (every run)");
        Line(md);
        Line(md, "| target | callers | round | requests | failures | req/s | p50 ms | p90 ms | p99 ms | max ms | mean ms | other load (cores) |");
        Line(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in Runs)
        {
            Line(md, $"| {r.Target} | {r.Concurrency} | {r.Round} | {r.Count} | {r.Failures} | {r.Throughput:0} | {Ms(r.PercentileMs(50))} | {Ms(r.PercentileMs(90))} | {Ms(r.PercentileMs(99))} | {Ms(r.PercentileMs(100))} | {Ms(r.MeanMs)} | {r.OtherCores:0.00} |");
        }

        Line(md);
        Line(md, $"*other load*: CPU used during the window by processes other than the LocalHost, the peer, the Cosmos server, Redis and the bench (in cores of {Machine.Cores}); above {NoisyCores:0.0} the run shared the machine and its numbers are pessimistic.");
        Line(md, "The sections below use, for each target and number of callers, the round with the median throughput.");
        if (Runs.Any(r => r.OtherCores > NoisyCores))
        {
            Line(md, $"**Noisy: {Runs.Count(r => r.OtherCores > NoisyCores)} run(s) shared the machine with other work.**");
        }

        Line(md);
        Line(md, "### Added by us (tools/call through the LocalHost − the same call direct, same number of callers)");
        Line(md);
        Line(md, "| callers | added p50 ms | added p90 ms | added p99 ms | added mean ms | throughput through us / direct |");
        Line(md, "| ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var c in Settings.Callers)
        {
            if (Pair(c) is not ({ } direct, { } us))
            {
                continue;
            }

            Line(md, $"| {c} | {Ms(us.PercentileMs(50) - direct.PercentileMs(50))} | {Ms(us.PercentileMs(90) - direct.PercentileMs(90))} | {Ms(us.PercentileMs(99) - direct.PercentileMs(99))} | {Ms(us.MeanMs - direct.MeanMs)} | {Pct(us.Throughput / direct.Throughput)} |");
        }

        Line(md);
        if (DelayedRuns is [{ } slowDirect, { } slowUs])
        {
            Line(md, $"With a provider as slow as a real API (the stand-in answers after {Settings.ProviderDelay.TotalMilliseconds:0} ms; not the targets' workload), {slowUs.Concurrency} callers, {Settings.PingDuration.TotalSeconds:0.#} s:");
            Line(md);
            Line(md, "| target | requests | failures | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | through us / direct |");
            Line(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            Line(md, $"| {slowDirect.Target} | {slowDirect.Count} | {slowDirect.Failures} | {slowDirect.Throughput:0} | {Ms(slowDirect.PercentileMs(50))} | {Ms(slowDirect.PercentileMs(99))} | | | |");
            Line(md, $"| {slowUs.Target} | {slowUs.Count} | {slowUs.Failures} | {slowUs.Throughput:0} | {Ms(slowUs.PercentileMs(50))} | {Ms(slowUs.PercentileMs(99))} | {Ms(slowUs.PercentileMs(50) - slowDirect.PercentileMs(50))} | {Ms(slowUs.PercentileMs(99) - slowDirect.PercentileMs(99))} | {Pct(slowUs.Throughput / slowDirect.Throughput)} |");
            Line(md);
        }

        Line(md, "### LocalHost memory (separate process, /proc/PID/status)");
        Line(md);
        Line(md, "| when | MB |");
        Line(md, "| --- | ---: |");
        Line(md, $"| RSS after start (healthy, idle) | {Mb(Memory.StartRss)} |");
        Line(md, $"| RSS after warm-up (after the {Settings.Prime.TotalSeconds:0.#} s prime, before the measured runs) | {Mb(Memory.WarmRss)} |");
        Line(md, $"| RSS after all load runs | {Mb(Memory.AfterRunsRss)} |");
        Line(md, $"| highest RSS sampled (every 200 ms) | {Mb(Memory.MaxSampledRss)} |");
        Line(md, $"| peak RSS (VmHWM) | {Mb(Memory.PeakRss)} |");
        Line(md);

        Line(md, "### CPU time per request (ms, measured window, /proc/PID/stat; 2 cores = 2000 ms of CPU per second)");
        Line(md);
        var processes = Runs.SelectMany(r => r.Cpu.Keys).Distinct().ToList();
        Line(md, $"| target | callers | round | {string.Join(" | ", processes)} | total | CPU-bound ceiling req/s |");
        Line(md, $"| --- | ---: | ---: |{string.Concat(processes.Select(_ => " ---: |"))} ---: | ---: |");
        foreach (var r in Runs)
        {
            var total = processes.Sum(p => r.CpuMsPerRequest(p));
            Line(md, $"| {r.Target} | {r.Concurrency} | {r.Round} | {string.Join(" | ", processes.Select(p => Ms(r.CpuMsPerRequest(p))))} | {Ms(total)} | {Machine.Cores * 1000 / total:0} |");
        }

        Line(md);
        RenderBreakdown(md);
        RenderTargets(md);
        return md.ToString();
    }

    private void RenderBreakdown(StringBuilder md)
    {
        if (Pair(1) is not ({ } direct, { } us) || Find(Ping, 1) is not { } ping)
        {
            return;
        }

        Line(md, "### Where the added time goes (1 caller)");
        Line(md);
        Line(md, "Steps timed on their own: the HTTP runs above, and the LocalHost's own classes run in the bench process against the same Cosmos server.");
        Line(md, "Means add up; medians only roughly.");
        Line(md);
        Line(md, "| step | measured as | mean ms | p50 ms | p99 ms |");
        Line(md, "| --- | --- | ---: | ---: | ---: |");
        Line(md, $"| tools/call through us | HTTP, 1 caller | {Ms(us.MeanMs)} | {Ms(us.PercentileMs(50))} | {Ms(us.PercentileMs(99))} |");
        Line(md, $"| − the provider call itself | direct HTTP, 1 caller | {Ms(direct.MeanMs)} | {Ms(direct.PercentileMs(50))} | {Ms(direct.PercentileMs(99))} |");
        Line(md, $"| **= added by us** | | **{Ms(us.MeanMs - direct.MeanMs)}** | **{Ms(us.PercentileMs(50) - direct.PercentileMs(50))}** | **{Ms(us.PercentileMs(99) - direct.PercentileMs(99))}** |");
        var jwt = Split("JWT validation");
        var cosmos = Split("Cosmos point read");
        var decrypt = Split("Credential decrypt");
        var write = Split("lastUsedAt write");
        Line(md, $"| front door: HTTP to us, Kestrel, JWT, JSON-RPC | `ping` through us, 1 caller | {Ms(ping.MeanMs)} | {Ms(ping.PercentileMs(50))} | {Ms(ping.PercentileMs(99))} |");
        if (jwt is not null)
        {
            Line(md, $"| … of which JWT validation | {jwt.How} | {Ms(jwt.MeanMs)} | {Ms(jwt.PercentileMs(50))} | {Ms(jwt.PercentileMs(99))} |");
        }

        var known = ping.MeanMs;
        if (decrypt is not null)
        {
            Line(md, $"| credential decrypt (every call) | {decrypt.How} | {Ms(decrypt.MeanMs)} | {Ms(decrypt.PercentileMs(50))} | {Ms(decrypt.PercentileMs(99))} |");
            known += decrypt.MeanMs;
        }

        if (cosmos is not null)
        {
            // The connection cache serves reads for CacheSeconds; then one call pays a point read (0: every call does).
            var reads = CacheSeconds <= 0 ? us.Count : Math.Ceiling(us.Seconds / CacheSeconds);
            var amortized = reads * cosmos.MeanMs / Math.Max(1, us.Count);
            var when = CacheSeconds <= 0
                ? "every call (connection cache off)"
                : $"only when the connection cache misses: ≈ {reads:0} read(s) in {us.Count} calls (cache {CacheSeconds:0} s per connection)";
            Line(md, $"| Cosmos point read, amortized | {when}; one read ({cosmos.How}): mean {Ms(cosmos.MeanMs)}, p50 {Ms(cosmos.PercentileMs(50))}, p99 {Ms(cosmos.PercentileMs(99))} | {Ms(amortized, 4)} | | |");
            known += amortized;
        }

        if (write is not null)
        {
            var writes = LastUsedWrites.GetValueOrDefault(us);
            var amortized = writes * write.MeanMs / Math.Max(1, us.Count);
            Line(md, $"| lastUsedAt write, amortized | {writes} write(s) in {us.Count} calls (at most 1/min per connection); one write ({write.How}): mean {Ms(write.MeanMs)}, p99 {Ms(write.PercentileMs(99))} | {Ms(amortized, 4)} | | |");
            known += amortized;
        }

        Line(md, $"| rest: argument check, request render, Polly + IHttpClientFactory, the outbound HTTP exchange's extra process hop, result shaping and serialization | remainder of the added mean | {Ms(us.MeanMs - direct.MeanMs - known)} | | |");
        Line(md);
        RenderTimelines(md);
        RenderAnatomy(md);
    }

    private void RenderTimelines(StringBuilder md)
    {
        if (Timelines.FirstOrDefault(t => t.Target == Direct) is not { } direct || Timelines.FirstOrDefault(t => t.Target == ToolCall) is not { } us)
        {
            return;
        }

        Line(md, $"Each call cut in two where the stand-in's handler received the provider request ({us.BeforeMs.Count} calls one at a time; same clock):");
        Line(md);
        Line(md, "| part | direct p50 | through us p50 | added p50 | direct p99 | through us p99 | added p99 | direct mean | through us mean | added mean |");
        Line(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        Part("before the provider call (client → us: HTTP, JWT, JSON-RPC, connection cache/Cosmos, decrypt, render, Polly, outbound send)", direct.BeforeMs, us.BeforeMs);
        Part("from the provider call to the answer (stand-in, reply → us, shaping, serialization, reply → client)", direct.AfterMs, us.AfterMs);
        Line(md);

        void Part(string name, IReadOnlyList<double> d, IReadOnlyList<double> u)
        {
            double P(IReadOnlyList<double> x, double p) => Timeline.Percentile(x, p);
            Line(md, $"| {name} | {Ms(P(d, 50))} | {Ms(P(u, 50))} | {Ms(P(u, 50) - P(d, 50))} | {Ms(P(d, 99))} | {Ms(P(u, 99))} | {Ms(P(u, 99) - P(d, 99))} | {Ms(d.Average())} | {Ms(u.Average())} | {Ms(u.Average() - d.Average())} |");
        }
    }

    private void RenderAnatomy(StringBuilder md)
    {
        if (Anatomy.Count == 0)
        {
            return;
        }

        Line(md, "### Where the LocalHost's CPU goes (per tools/call)");
        Line(md);
        Line(md, $"The LocalHost's service graph built in the bench process (no Kestrel), each layer driven alone by {Anatomy[0].Concurrency} callers; CPU of the whole bench process per call (layers 1–4 include the stand-in serving the provider request).");
        Line(md);
        Line(md, "| layer | calls/s | mean ms | CPU ms per call | CPU added by this layer | KB allocated per call |");
        Line(md, "| --- | ---: | ---: | ---: | ---: | ---: |");
        double? previous = null;
        foreach (var r in Anatomy)
        {
            var cpu = r.CpuMsPerRequest("bench");
            var layered = r.Target.Length > 0 && char.IsDigit(r.Target[0]);
            var kb = r.AllocatedBytes / 1024.0 / Math.Max(1, r.Count + r.Failures);
            Line(md, $"| {r.Target} | {r.Throughput:0} | {Ms(r.MeanMs, 4)} | {Ms(cpu, 4)} | {(layered && previous is { } p ? Ms(cpu - p, 4) : "")} | {kb:0.0} |");
            previous = layered ? cpu : previous;
        }

        if (Find(Ping, Settings.Callers.Max()) is { } ping && Find(ToolCall, Settings.Callers.Max()) is { } tools)
        {
            Line(md);
            Line(md, $"For comparison, in the LocalHost process at {tools.Concurrency} callers: a `ping` costs {Ms(ping.CpuMsPerRequest(LocalHostCpu))} ms of CPU (Kestrel, HTTP parsing, JWT, JSON-RPC), a tools/call {Ms(tools.CpuMsPerRequest(LocalHostCpu))} ms.");
        }

        Line(md);
    }

    private void RenderTargets(StringBuilder md)
    {
        Line(md, "### Targets");
        Line(md);
        Line(md, "| target | measured | met |");
        Line(md, "| --- | ---: | --- |");
        if (Pair(1) is ({ } d1, { } u1))
        {
            var p50 = u1.PercentileMs(50) - d1.PercentileMs(50);
            var p99 = u1.PercentileMs(99) - d1.PercentileMs(99);
            Line(md, $"| added p50 ≤ 1 ms at 1 caller | {Ms(p50)} ms | {Met(p50 <= 1)} |");
            Line(md, $"| added p99 ≤ 5 ms at 1 caller | {Ms(p99)} ms | {Met(p99 <= 5)} |");
        }

        var most = Settings.Callers.Max();
        if (RoundMedians.Of(Runs, ToolCall, most) is { } ours && RoundMedians.Of(Runs, PeerToolCall, most) is { } peer)
        {
            var ratio = ours.CpuMs(LocalHostCpu) / peer.CpuMs(PeerCpu);
            Line(md, $"| CPU per tools/call through us ≤ {CpuRatioTarget:0.0}× the peer's at {most} callers (median of {ours.Rounds}) | {Times(ratio)} ({Ms(ours.CpuMs(LocalHostCpu))} vs {Ms(peer.CpuMs(PeerCpu))} ms) | {Met(ratio <= CpuRatioTarget)} |");
        }

        Line(md, $"| steady memory < 200 MB (RSS after the runs) | {Mb(Memory.AfterRunsRss)} MB (peak {Mb(Memory.PeakRss)} MB) | {Met(Memory.AfterRunsRss < 200L * 1024 * 1024)} |");
        Line(md);
    }

    private void RenderPeerComparison(StringBuilder md)
    {
        var rows = Settings.Callers
            .Select(c => (Callers: c, Direct: RoundMedians.Of(Runs, Direct, c), Peer: RoundMedians.Of(Runs, PeerToolCall, c), Us: RoundMedians.Of(Runs, ToolCall, c)))
            .Where(r => r.Direct is not null && r.Peer is not null && r.Us is not null)
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        Line(md, $"### Through us vs the peer (median of {rows[0].Us!.Rounds} round(s))");
        Line(md);
        Line(md, "The peer is what a user would otherwise run: a hand-written MCP server on the official SDK (ModelContextProtocol.AspNetCore, stateless Streamable HTTP), one tool making the same provider call with one fixed key; no caller authentication, no store, no encryption. Each figure is the median over the rounds, taken separately. *Server CPU* is the server process's own (/proc/PID/stat); through us, *with its stores* adds the Cosmos server and Redis. Direct's server is the stand-in inside the bench process, so it has no figure of its own.");
        Line(md);
        Line(md, "| callers | target | req/s | p50 ms | p99 ms | server CPU ms/request | with its stores | bench ms/request | most other load (cores) |");
        Line(md, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (callers, direct, peer, us) in rows)
        {
            Row(callers, direct!, "–", "–");
            Row(callers, peer!, Ms(peer!.CpuMs(PeerCpu)), Ms(peer.CpuMs(PeerCpu)));
            Row(callers, us!, Ms(us!.CpuMs(LocalHostCpu)), Ms(us.CpuMs(LocalHostCpu, CosmosCpu, RedisCpu)));
        }

        Line(md);
        Line(md, "| callers | CPU/request: us / peer | with stores: us / peer | req/s: us / peer | p50: us / peer | p99: us / peer | req/s: peer / direct | req/s: us / direct |");
        Line(md, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (callers, direct, peer, us) in rows)
        {
            Line(md, $"| {callers} | {Times(us!.CpuMs(LocalHostCpu) / peer!.CpuMs(PeerCpu))} | {Times(us.CpuMs(LocalHostCpu, CosmosCpu, RedisCpu) / peer.CpuMs(PeerCpu))} | {Times(us.Throughput / peer.Throughput)} | {Times(us.P50Ms / peer.P50Ms)} | {Times(us.P99Ms / peer.P99Ms)} | {Pct(peer.Throughput / direct!.Throughput)} | {Pct(us.Throughput / direct.Throughput)} |");
        }

        Line(md);
        Line(md, "At 1 caller the CPU figures include thread-pool spin-waiting between requests; compare cost at the larger caller count.");
        Line(md);

        void Row(int callers, RoundMedians m, string serverCpu, string withStores) =>
            Line(md, $"| {callers} | {m.Target} | {m.Throughput:0} | {Ms(m.P50Ms)} | {Ms(m.P99Ms)} | {serverCpu} | {withStores} | {Ms(m.CpuMs(BenchCpu))} | {m.MaxOtherCores:0.00} |");
    }

    private (LoadResult? Direct, LoadResult? Us) Pair(int callers) => (Find(Direct, callers), Find(ToolCall, callers));

    /// <summary>The run with the median throughput among the rounds of a target at that number of callers.</summary>
    private LoadResult? Find(string target, int callers)
    {
        var rounds = Runs.Where(r => r.Target == target && r.Concurrency == callers).OrderBy(r => r.Throughput).ToList();
        return rounds.Count == 0 ? null : rounds[(rounds.Count - 1) / 2];
    }

    private SplitTiming? Split(string step) => Splits.FirstOrDefault(s => s.Step == step);

    private static string Met(bool met) => met ? "yes" : "**no**";

    private static string Ms(double ms, int decimals = 3) =>
        double.IsNaN(ms) ? "–" : ms.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024)).ToString("F1", CultureInfo.InvariantCulture);

    private static string Times(double ratio) =>
        double.IsNaN(ratio) || double.IsInfinity(ratio) ? "–" : ratio.ToString("F2", CultureInfo.InvariantCulture) + "×";

    private static string Pct(double ratio) => (ratio * 100).ToString("F0", CultureInfo.InvariantCulture) + "%";

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
