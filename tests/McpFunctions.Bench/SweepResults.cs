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

    public required SweepRun Busy { get; init; }

    public required OAuthStats OAuthStats { get; init; }

    public required StoredCheck Check { get; init; }

    public required IReadOnlyList<SweepRun> Idle { get; init; }

    /// <summary>Every due connection refreshed exactly once, nothing else touched, and the idle sweeps read nothing.</summary>
    public bool Valid => Problems().Count == 0;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var r = Busy.Report;
        if (r.Due != Settings.Due || r.Refreshed != Settings.Due)
        {
            problems.Add($"the sweep saw {r.Due} due and refreshed {r.Refreshed}, expected {Settings.Due}");
        }

        if (r.Unavailable + r.NeedsReauth + r.Skipped + r.NotNeeded > 0)
        {
            problems.Add($"{r.Unavailable} unavailable, {r.NeedsReauth} needs_reauth, {r.Skipped} skipped, {r.NotNeeded} not needed");
        }

        if (OAuthStats.RefreshTokenGrants != Settings.Due || OAuthStats.RefreshTokenReuses != 0 || OAuthStats.GrantErrors != 0)
        {
            problems.Add($"the OAuth server counted {OAuthStats.RefreshTokenGrants} refresh grants, {OAuthStats.RefreshTokenReuses} reuses, {OAuthStats.GrantErrors} errors (last: {OAuthStats.LastError})");
        }

        if (Check.Problems.Count > 0)
        {
            problems.Add(Check.ToString());
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
        var busy = Busy;
        var r = busy.Report;
        var wall = busy.Window.Wall.TotalSeconds;
        Line(md, $"## Token sweep — {Started:yyyy-MM-dd HH:mm} UTC");
        Line(md);
        Line(md, $"Machine: {Machine.Cores} cores ({Machine.Cpu}), {Machine.MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB RAM, {Machine.Os}; .NET SDK {Machine.Sdk}, runtime {Machine.Runtime}.");
        Line(md, $"{s.Stored:N0} OAuth connections stored (one per user), {s.Due:N0} of them due, each holding a refresh token minted at the OAuth server "
            + "(oidc-provider, rotation on, opaque tokens, scope `offline_access read`: no ID token to sign). "
            + $"One sweep in the bench process with the LocalHost's service graph: `Refresh__SweepParallelism={s.Parallelism}`, `Refresh__SweepBatchSize={s.BatchSize}`; webhooks off; logging at Warning.");
        var problems = Problems();
        Line(md, problems.Count == 0
            ? $"Valid run: {s.Due:N0} refreshed, the OAuth server counted {OAuthStats.RefreshTokenGrants:N0} refresh grants and 0 reuses, sampled documents checked, idle sweeps read nothing."
            : $"**INVALID RUN:** {string.Join("; ", problems)}.");
        Line(md);
        Line(md, $"Seeding (not part of the sweep's numbers): {s.Due:N0} refresh tokens minted in {MintTime.TotalSeconds:0.00} s (one `POST /_test/mint`); "
            + $"{s.Stored:N0} documents created in {Seeding.Wall.TotalSeconds:0.0} s ({s.Stored / Seeding.Wall.TotalSeconds:0} docs/s, {s.SeedParallelism} at a time; "
            + $"CPU: {string.Join(", ", Seeding.Cpu.Where(c => c.Value > TimeSpan.Zero).Select(c => $"{c.Key} {c.Value.TotalSeconds:0.0} s"))}).");
        Line(md);

        Line(md, $"### Sweep with {s.Due:N0} due of {s.Stored:N0}");
        Line(md);
        Line(md, "| measure | value |");
        Line(md, "| --- | ---: |");
        Line(md, $"| wall time | **{wall:0.00} s** |");
        Line(md, $"| refreshes per second | **{r.Refreshed / wall:0}** |");
        Line(md, $"| SweepReport: due / refreshed / not needed / unavailable / needs reauth / skipped | {r.Due} / {r.Refreshed} / {r.NotNeeded} / {r.Unavailable} / {r.NeedsReauth} / {r.Skipped} |");
        Line(md, $"| queries (documents returned), RU as reported by the SDK | {r.Queries} ({busy.Store.QueryItems}), {r.RequestCharge:0.##} RU |");
        Line(md, $"| store calls besides queries: point reads / writes (lost on ETag) | {busy.Store.PointReads} / {busy.Store.Writes} ({busy.Store.LostWrites}) = {PerRefresh(busy.Store.PointReads + busy.Store.Writes):0.0} per refresh |");
        Line(md, $"| OAuth server: refresh grants / reuses / errors | {OAuthStats.RefreshTokenGrants} / {OAuthStats.RefreshTokenReuses} / {OAuthStats.GrantErrors} |");
        Line(md, $"| stored state after the sweep | {Check} |");
        Line(md, $"| target: {s.Due:N0} due refreshed in under {TargetWall.TotalSeconds:0} s | {(wall < TargetWall.TotalSeconds && problems.Count == 0 ? "met" : "**not met**")} |");
        Line(md);

        Line(md, "CPU time per process during the sweep (/proc/PID/stat):");
        Line(md);
        Line(md, "| process | CPU s | ms per refresh | share |");
        Line(md, "| --- | ---: | ---: | ---: |");
        var total = busy.Window.Cpu.Values.Sum(c => c.TotalSeconds);
        foreach (var (name, cpu) in busy.Window.Cpu)
        {
            Line(md, $"| {name} | {cpu.TotalSeconds:0.00} | {PerRefresh(cpu.TotalMilliseconds):0.00} | {cpu.TotalSeconds / total:0%} |");
        }

        Line(md, $"| **all of the above** | **{total:0.00}** | **{PerRefresh(total * 1000):0.00}** | |");
        Line(md, $"| other processes on the machine (not ours) | {busy.Window.Others.TotalSeconds:0.00} | | |");
        Line(md);
        Line(md, $"With {Machine.Cores} cores, the CPU above alone needs at least {total / Machine.Cores:0.00} s of wall time; the machine was {busy.Window.MachineBusy.TotalSeconds / (wall * Machine.Cores):0%} busy during the sweep.");
        Line(md);

        var slots = s.Parallelism * (busy.Window.Wall - busy.Store.QueryWait).TotalSeconds;
        var tokenWait = busy.Tokens.Wait.TotalSeconds;
        var storeWait = busy.Store.OtherWait.TotalSeconds;
        Line(md, "Wall-clock view (awaited time, summed over the parallel refreshes):");
        Line(md);
        Line(md, "| part | s | mean per call |");
        Line(md, "| --- | ---: | ---: |");
        Line(md, $"| the sweep's queries (one after another, nothing in parallel) | {busy.Store.QueryWait.TotalSeconds:0.00} | {Ms(busy.Store.QueryWait.TotalMilliseconds / Math.Max(1, busy.Store.Queries))} ms per query |");
        Line(md, $"| refresh slots: {s.Parallelism} × the rest of the wall time | {slots:0.00} | |");
        Line(md, $"| … awaiting the OAuth token endpoint | {tokenWait:0.00} | {Ms(busy.Tokens.Wait.TotalMilliseconds / Math.Max(1, busy.Tokens.Refreshes))} ms per request |");
        Line(md, $"| … awaiting Cosmos point reads and writes | {storeWait:0.00} | {Ms(busy.Store.OtherWait.TotalMilliseconds / Math.Max(1, busy.Store.PointReads + busy.Store.Writes))} ms per call |");
        Line(md, $"| … the rest: decrypt + encrypt, decisions, waiting for a core, idle slots at the end of each batch | {slots - tokenWait - storeWait:0.00} | |");
        Line(md);
        Line(md, $"Our process allocated {busy.AllocatedBytes / 1048576.0:0.0} MB ({PerRefresh(busy.AllocatedBytes / 1024.0):0.0} KB per refresh); GC collections gen0/1/2: {string.Join("/", busy.Collections)}.");
        Line(md);

        Line(md, "### Sweeps with nothing due (run right after, one after another)");
        Line(md);
        Line(md, "| run | wall ms | queries | documents returned | point reads | writes | token requests | RU (SDK) | our CPU ms | Cosmos server CPU ms |");
        Line(md, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < Idle.Count; i++)
        {
            var idle = Idle[i];
            Line(md, $"| {i + 1} | {Ms(idle.Window.Wall.TotalMilliseconds)} | {idle.Report.Queries} | {idle.Store.QueryItems} | {idle.Store.PointReads + idle.Store.Lists} | {idle.Store.Writes} | {idle.Tokens.Refreshes} | {idle.Report.RequestCharge:0.##} | {Ms(Cpu(idle, SweepBench.OurProcess))} | {Ms(Cpu(idle, SweepBench.CosmosProcess))} |");
        }

        var readNothing = Idle.All(i => i.Store.PointReads + i.Store.Lists + i.Store.QueryItems == 0);
        Line(md);
        Line(md, $"Target: a sweep with nothing due reads no documents beyond the query's result: {(readNothing ? "met" : "**not met**")} "
            + "(point reads counted by a decorator around `IConnectionStore`, which every read of the sweep and the refresher goes through).");
        return md.ToString();
    }

    private double PerRefresh(double value) => value / Math.Max(1, Busy.Report.Refreshed);

    private static double Cpu(SweepRun run, string process) => run.Window.Cpu.TryGetValue(process, out var cpu) ? cpu.TotalMilliseconds : double.NaN;

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
