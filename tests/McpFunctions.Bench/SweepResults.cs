using System.Globalization;
using System.Text;
using McpFunctions.Tests.Fixtures;

namespace McpFunctions.Bench;

/// <summary>Everything one <c>./bench.sh --sweep</c> run measured, rendered as markdown.</summary>
public sealed class SweepResults
{
    /// <summary>The issue's target for the sweep with work to do.</summary>
    public static readonly TimeSpan TargetWall = TimeSpan.FromSeconds(60);

    public required DateTimeOffset Started { get; init; }

    public required Machine Machine { get; init; }

    public required SweepSettings Settings { get; init; }

    public required TimeSpan MintTime { get; init; }

    public required CpuWindow Seeding { get; init; }

    /// <summary>The sweeps with work to do: the first after start (cold), then the same connections due again (warm).</summary>
    public required IReadOnlyList<BusySweep> Busy { get; init; }

    public required IReadOnlyList<SweepRun> Idle { get; init; }

    /// <summary>Every due connection refreshed exactly once, nothing else touched, and the idle sweeps read nothing.</summary>
    public bool Valid => Problems().Count == 0;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (label, run, stats, check) in Busy)
        {
            var r = run.Report;
            if (r.Due != Settings.Due || r.Refreshed != Settings.Due)
            {
                problems.Add($"{label}: the sweep saw {r.Due} due and refreshed {r.Refreshed}, expected {Settings.Due}");
            }

            if (r.Unavailable + r.NeedsReauth + r.Skipped + r.NotNeeded > 0)
            {
                problems.Add($"{label}: {r.Unavailable} unavailable, {r.NeedsReauth} needs_reauth, {r.Skipped} skipped, {r.NotNeeded} not needed");
            }

            if (stats.RefreshTokenGrants != Settings.Due || stats.RefreshTokenReuses != 0 || stats.GrantErrors != 0)
            {
                problems.Add($"{label}: the OAuth server counted {stats.RefreshTokenGrants} refresh grants, {stats.RefreshTokenReuses} reuses, {stats.GrantErrors} errors (last: {stats.LastError})");
            }

            if (check.Problems.Count > 0)
            {
                problems.Add($"{label}: {check}");
            }
        }

        foreach (var idle in Idle.Where(i => i.Report.Due != 0 || i.Store.PointReads + i.Store.Lists + i.Store.Writes + i.Store.QueryItems + i.Tokens.Refreshes != 0))
        {
            problems.Add($"an idle sweep found {idle.Report.Due} due, read {idle.Store.PointReads} documents, wrote {idle.Store.Writes}");
        }

        return problems;
    }

    public string Render()
    {
        var md = new StringBuilder();
        var s = Settings;
        Line(md, $"## Token sweep — {Started:yyyy-MM-dd HH:mm} UTC");
        Line(md);
        Line(md, $"Machine: {Machine.Cores} cores ({Machine.Cpu}), {Machine.MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB RAM, {Machine.Os}; .NET SDK {Machine.Sdk}, runtime {Machine.Runtime}.");
        Line(md, $"{s.Stored:N0} OAuth connections stored (one per user), {s.Due:N0} of them due, each holding a refresh token minted at the OAuth server "
            + "(oidc-provider, rotation on, opaque tokens, scope `offline_access read`: no ID token to sign). "
            + $"`RefreshSweep.SweepAsync` runs in the bench process with the LocalHost's service graph (`AddMcpFunctions`, not started): "
            + $"`Refresh__SweepParallelism={s.Parallelism}`, `Refresh__SweepBatchSize={s.BatchSize}`; webhooks off; logging at Warning.");
        var problems = Problems();
        Line(md, problems.Count == 0
            ? $"Valid run: in each sweep with work, {s.Due:N0} refreshed and the OAuth server counted {s.Due:N0} refresh grants and 0 reuses; sampled documents checked; the idle sweeps read nothing."
            : $"**INVALID RUN:** {string.Join("; ", problems)}.");
        Line(md);
        Line(md, $"Seeding (not part of the sweep's numbers): {s.Due:N0} refresh tokens minted in {MintTime.TotalSeconds:0.00} s (one `POST /_test/mint`); "
            + $"{s.Stored:N0} documents created in {Seeding.Wall.TotalSeconds:0.0} s ({s.Stored / Seeding.Wall.TotalSeconds:0} docs/s, {s.SeedParallelism} at a time; "
            + $"CPU: {string.Join(", ", Seeding.Cpu.Where(c => c.Value > TimeSpan.Zero).Select(c => $"{c.Key} {c.Value.TotalSeconds:0.0} s"))}). "
            + $"Between the two sweeps the same {s.Due:N0} connections are made due again (not measured); they then hold the tokens the first sweep stored.");
        Line(md);

        Line(md, $"### Sweeps with {s.Due:N0} due of {s.Stored:N0}");
        Line(md);
        Line(md, $"| measure | {string.Join(" | ", Busy.Select(b => b.Label))} |");
        Line(md, $"| --- |{string.Concat(Busy.Select(_ => " ---: |"))}");
        Row(md, "wall time", b => $"**{b.Run.Window.Wall.TotalSeconds:0.00} s**");
        Row(md, "refreshes per second", b => $"**{b.Run.Report.Refreshed / b.Run.Window.Wall.TotalSeconds:0}**");
        Row(md, "due / refreshed / not needed / unavailable / needs reauth / skipped / deferred (SweepReport)", b =>
            $"{b.Run.Report.Due} / {b.Run.Report.Refreshed} / {b.Run.Report.NotNeeded} / {b.Run.Report.Unavailable} / {b.Run.Report.NeedsReauth} / {b.Run.Report.Skipped} / {b.Run.Report.Deferred}");
        Row(md, "queries (documents returned); RU as reported by the SDK", b => $"{b.Run.Report.Queries} ({b.Run.Store.QueryItems}); {b.Run.Report.RequestCharge:0.##} RU");
        Row(md, "store calls besides queries: point reads / writes (lost on ETag)", b =>
            $"{b.Run.Store.PointReads} / {b.Run.Store.Writes} ({b.Run.Store.LostWrites}) = {PerRefresh(b, b.Run.Store.PointReads + b.Run.Store.Writes):0.0} per refresh");
        Row(md, "OAuth server: refresh grants / reuses / errors", b => $"{b.Stats.RefreshTokenGrants} / {b.Stats.RefreshTokenReuses} / {b.Stats.GrantErrors}");
        Row(md, "stored state after the sweep", b => b.Check.ToString());
        Row(md, $"target: {s.Due:N0} due refreshed in under {TargetWall.TotalSeconds:0} s", b =>
            b.Run.Window.Wall < TargetWall && problems.Count == 0 ? "met" : "**not met**");
        Line(md);

        var processes = Busy.SelectMany(b => b.Run.Window.Cpu.Keys).Distinct().ToList();
        Line(md, "CPU time per process during the sweep (/proc/PID/stat, 10 ms ticks): seconds, and ms per refresh");
        Line(md);
        Line(md, $"| process | {string.Join(" | ", Busy.Select(b => b.Label))} |");
        Line(md, $"| --- |{string.Concat(Busy.Select(_ => " ---: |"))}");
        foreach (var process in processes)
        {
            Row(md, process, b => b.Run.Window.Cpu.TryGetValue(process, out var cpu)
                ? $"{cpu.TotalSeconds:0.00} s = {PerRefresh(b, cpu.TotalMilliseconds):0.00} ms ({cpu.TotalSeconds / TotalCpu(b):0%})"
                : "");
        }

        Row(md, "**all of the above**", b => $"**{TotalCpu(b):0.00} s = {PerRefresh(b, TotalCpu(b) * 1000):0.00} ms**");
        Row(md, "other processes on the machine (not ours)", b => $"{b.Run.Window.Others.TotalSeconds:0.00} s");
        Row(md, $"the CPU above spread over {Machine.Cores} cores (a floor for the wall time)", b => $"{TotalCpu(b) / Machine.Cores:0.00} s");
        Row(md, "machine busy during the sweep", b => $"{b.Run.Window.MachineBusy.TotalSeconds / (b.Run.Window.Wall.TotalSeconds * Machine.Cores):0%}");
        Line(md);

        Line(md, "Wall-clock view: time awaited, summed over the parallel refreshes (seconds; mean per call)");
        Line(md);
        Line(md, $"| part | {string.Join(" | ", Busy.Select(b => b.Label))} |");
        Line(md, $"| --- |{string.Concat(Busy.Select(_ => " ---: |"))}");
        Row(md, "the sweep's queries, one after another (nothing else runs meanwhile)", b =>
            $"{b.Run.Store.QueryWait.TotalSeconds:0.00} s; {Ms(b.Run.Store.QueryWait.TotalMilliseconds / Math.Max(1, b.Run.Store.Queries))} ms per query");
        Row(md, "the rest of the wall time: the refreshes", b => $"{RefreshPhase(b):0.00} s = {b.Run.Report.Refreshed / RefreshPhase(b):0} refreshes/s");
        Row(md, $"refresh slots: {s.Parallelism} × the refreshes' wall time", b => $"{Slots(b):0.00} s");
        Row(md, "… awaiting the OAuth token endpoint", b =>
            $"{b.Run.Tokens.Wait.TotalSeconds:0.00} s; {Ms(b.Run.Tokens.Wait.TotalMilliseconds / Math.Max(1, b.Run.Tokens.Refreshes))} ms per request");
        Row(md, "… awaiting Cosmos point reads and writes", b =>
            $"{b.Run.Store.OtherWait.TotalSeconds:0.00} s; {Ms(b.Run.Store.OtherWait.TotalMilliseconds / Math.Max(1, b.Run.Store.PointReads + b.Run.Store.Writes))} ms per call");
        Row(md, "… the rest: decrypt + encrypt, decisions, waiting for a core, slots idle at the end of each batch", b =>
            $"{Slots(b) - b.Run.Tokens.Wait.TotalSeconds - b.Run.Store.OtherWait.TotalSeconds:0.00} s");
        Row(md, "our process: allocated; GC collections gen0/1/2", b =>
            $"{b.Run.AllocatedBytes / 1048576.0:0.0} MB ({PerRefresh(b, b.Run.AllocatedBytes / 1024.0):0.0} KB per refresh); {string.Join("/", b.Run.Collections)}");
        Line(md);

        Line(md, "### Sweeps with nothing due (run right after, one after another)");
        Line(md);
        Line(md, "| run | wall ms | queries | documents returned | point reads | writes | token requests | RU (SDK) |");
        Line(md, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < Idle.Count; i++)
        {
            var idle = Idle[i];
            Line(md, $"| {i + 1} | {Ms(idle.Window.Wall.TotalMilliseconds)} | {idle.Report.Queries} | {idle.Store.QueryItems} | {idle.Store.PointReads + idle.Store.Lists} | {idle.Store.Writes} | {idle.Tokens.Refreshes} | {idle.Report.RequestCharge:0.##} |");
        }

        var idleCpu = Idle.SelectMany(i => i.Window.Cpu).GroupBy(c => c.Key).Select(g => $"{g.Key} {Ms(g.Sum(c => c.Value.TotalMilliseconds) / Idle.Count)} ms");
        var walls = Idle.Select(i => i.Window.Wall.TotalMilliseconds).Order().ToList();
        Line(md);
        Line(md, $"Over the {Idle.Count} idle sweeps: wall median {Ms(walls[walls.Count / 2])} ms (min {Ms(walls[0])}, max {Ms(walls[^1])}); mean CPU per sweep: {string.Join(", ", idleCpu)}.");
        var readNothing = Idle.All(i => i.Store.PointReads + i.Store.Lists + i.Store.QueryItems == 0);
        Line(md);
        Line(md, $"Target: a sweep with nothing due reads no documents beyond the query's result: {(readNothing ? "met" : "**not met**")} "
            + "(point reads counted by a decorator around `IConnectionStore`, which every read of the sweep and the refresher goes through).");
        return md.ToString();
    }

    private static double PerRefresh(BusySweep sweep, double value) => value / Math.Max(1, sweep.Run.Report.Refreshed);

    private static double TotalCpu(BusySweep sweep) => sweep.Run.Window.Cpu.Values.Sum(c => c.TotalSeconds);

    private static double RefreshPhase(BusySweep sweep) => (sweep.Run.Window.Wall - sweep.Run.Store.QueryWait).TotalSeconds;

    private double Slots(BusySweep sweep) => Settings.Parallelism * RefreshPhase(sweep);

    private void Row(StringBuilder md, string name, Func<BusySweep, string> cell) =>
        Line(md, $"| {name} | {string.Join(" | ", Busy.Select(cell))} |");

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
