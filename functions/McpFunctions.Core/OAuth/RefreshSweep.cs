using System.Collections.Concurrent;
using System.Diagnostics;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Jobs;
using McpFunctions.Core.Providers;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.OAuth;

/// <summary>The scheduled refresh of every OAuth connection that is due (its <c>refreshAfter</c> has passed).</summary>
/// <remarks>One indexed query per batch, so a run costs what is due, not what is stored. Safe on several
/// instances at once: each connection is refreshed under its lease, so two sweeps refresh it once.</remarks>
public sealed class RefreshSweep(
    IConnectionStore store,
    TokenRefresher refresher,
    ProviderCatalog catalog,
    OAuthProviders oauthProviders,
    RefreshSettings settings,
    TimeProvider clock,
    ILogger<RefreshSweep> logger) : IScheduledJob
{
    public const string JobName = "RefreshSweep";

    public string Name => JobName;

    public string ScheduleSetting => "REFRESH_SCHEDULE";

    public string DefaultSchedule => "0 */5 * * * *";

    public async Task RunAsync(CancellationToken cancellationToken) => _ = await SweepAsync(cancellationToken);

    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var seen = new HashSet<ConnectionKey>();
        var results = new ConcurrentDictionary<RefreshResult, int>();
        var (queries, requestCharge, skipped) = (0, 0.0, 0);
        while (seen.Count < settings.SweepMaxPerRun)
        {
            var page = await store.QueryDueForRefreshAsync(clock.GetUtcNow(), Math.Min(settings.SweepBatchSize, settings.SweepMaxPerRun - seen.Count), cancellationToken);
            queries++;
            requestCharge += page.RequestCharge;

            // A connection leased by another instance stays due until that refresh lands; never take it twice.
            var batch = page.Items.Where(item => seen.Add(item.Connection.Key)).ToList();
            if (batch.Count == 0)
            {
                break;
            }

            var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.SweepParallelism, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(batch, parallel, async (due, ct) =>
            {
                if (!catalog.TryGet(due.Connection.Key.Provider, out var provider) || oauthProviders.Find(provider) is not { } oauth)
                {
                    Interlocked.Increment(ref skipped);
                    return;
                }

                try
                {
                    var outcome = await refresher.RefreshDueAsync(oauth, due, ct);
                    results.AddOrUpdate(outcome.Result, 1, (_, n) => n + 1);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One connection's failure (e.g. a credential that no longer decrypts) must not stop the sweep.
                    logger.LogError(ex, "Sweep could not refresh {Provider} account {Account}", due.Connection.Key.Provider, due.Connection.Key.Account);
                    results.AddOrUpdate(RefreshResult.Unavailable, 1, (_, n) => n + 1);
                }
            });

            if (page.Items.Count < settings.SweepBatchSize)
            {
                break;
            }
        }

        var report = new SweepReport(
            seen.Count,
            results.GetValueOrDefault(RefreshResult.Refreshed),
            results.GetValueOrDefault(RefreshResult.NotNeeded),
            results.GetValueOrDefault(RefreshResult.Unavailable),
            results.GetValueOrDefault(RefreshResult.NeedsReauth),
            skipped,
            queries,
            requestCharge,
            started.Elapsed);
        if (report.Due > 0 || skipped > 0)
        {
            logger.LogInformation(
                "Refresh sweep: {Due} due, {Refreshed} refreshed, {NotNeeded} already fresh, {Unavailable} failed, {NeedsReauth} need reauth, {Skipped} without OAuth client; {Queries} queries, {RequestCharge:F1} RU, {Elapsed} ms",
                report.Due, report.Refreshed, report.NotNeeded, report.Unavailable, report.NeedsReauth, report.Skipped, report.Queries, report.RequestCharge, (long)report.Elapsed.TotalMilliseconds);
        }

        return report;
    }
}

/// <summary>What one sweep did and cost.</summary>
public sealed record SweepReport(
    int Due, int Refreshed, int NotNeeded, int Unavailable, int NeedsReauth, int Skipped, int Queries, double RequestCharge, TimeSpan Elapsed);
