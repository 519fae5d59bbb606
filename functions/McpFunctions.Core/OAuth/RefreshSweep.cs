using System.Collections.Concurrent;
using System.Diagnostics;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Jobs;
using McpFunctions.Core.Providers;
using McpFunctions.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.OAuth;

/// <summary>The scheduled refresh of every OAuth connection that is due (its <c>refreshAfter</c> has passed).</summary>
/// <remarks>One indexed query per batch, so a run costs what is due, not what is stored. A due connection the sweep
/// cannot refresh now is deferred (see <see cref="DeferAsync"/>), so it neither blocks the rest nor is re-read every run.
/// Safe on several instances at once: each connection is refreshed under its lease, so two sweeps refresh it once.</remarks>
public sealed class RefreshSweep(
    IConnectionStore store,
    TokenRefresher refresher,
    ProviderCatalog catalog,
    OAuthProviders oauthProviders,
    RefreshSettings settings,
    TimeProvider clock,
    McpMetrics metrics,
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
        var (queries, requestCharge, skipped, deferred) = (0, 0.0, 0, 0);
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
                var attempt = await AttemptAsync(due, ct);
                if (attempt.Result is { } result)
                {
                    results.AddOrUpdate(result, 1, (_, n) => n + 1);
                }
                else
                {
                    Interlocked.Increment(ref skipped);
                }

                if (attempt.Left is { } left && IsStillDue(left.Connection, clock.GetUtcNow()) && await DeferAsync(left, attempt.Reason, ct))
                {
                    Interlocked.Increment(ref deferred);
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
            deferred,
            queries,
            requestCharge,
            started.Elapsed);
        if (report.Due > 0)
        {
            logger.LogInformation(
                "Refresh sweep: {Due} due, {Refreshed} refreshed, {NotNeeded} already fresh, {Unavailable} failed, {NeedsReauth} need reauth, {Skipped} without OAuth client, {Deferred} deferred; {Queries} queries, {RequestCharge:F1} RU, {Elapsed} ms",
                report.Due, report.Refreshed, report.NotNeeded, report.Unavailable, report.NeedsReauth, report.Skipped, report.Deferred, report.Queries, report.RequestCharge, (long)report.Elapsed.TotalMilliseconds);
        }

        return report;
    }

    /// <summary>Refreshes one due connection if this deployment can; says what is left of it for <see cref="DeferAsync"/>.</summary>
    private async Task<Attempt> AttemptAsync(StoredConnection due, CancellationToken cancellationToken)
    {
        var key = due.Connection.Key;
        if (!catalog.TryGet(key.Provider, out var provider))
        {
            return new Attempt(null, due, "provider_not_in_catalog");
        }

        if (oauthProviders.Find(provider) is not { } oauth)
        {
            return new Attempt(null, due, "no_oauth_client");
        }

        try
        {
            var outcome = await refresher.RefreshDueAsync(oauth, due, cancellationToken);
            // A refresh sets its own next refreshAfter; anything else may have left the connection where it was.
            return new Attempt(outcome.Result, outcome.Result == RefreshResult.Refreshed ? null : outcome.Stored, outcome.Reason ?? outcome.Result.ToString());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One connection's failure (e.g. a credential that no longer decrypts) must not stop the sweep.
            logger.LogError(ex, "Sweep could not refresh {Provider} account {Account}", key.Provider, key.Account);
            return new Attempt(RefreshResult.Unavailable, due, ex.GetType().Name);
        }
    }

    /// <summary>True when the next query would return this connection again: active, due, not backing off, not leased.</summary>
    private static bool IsStillDue(Connection connection, DateTimeOffset now) =>
        connection is { AuthType: AuthType.OAuth2, Status: ConnectionStatus.Active, RefreshAfter: { } refreshAfter }
        && refreshAfter <= now
        && !(connection.NextRefreshAttemptAt > now)
        && !(connection.RefreshLease?.Until > now);

    /// <summary>Moves a connection the sweep could not refresh out of the due range for a growing backoff.</summary>
    /// <remarks>Left due, it would come first in every query (they are ordered by refreshAfter): a page full of such
    /// connections would be read again by every sweep while the connections behind it are never reached. Only
    /// <c>refreshAfter</c> moves, so an on-demand refresh before a tool call still happens as before. The write is
    /// conditional on the version the decision was made on: a reconnect or a refresh meanwhile wins.</remarks>
    private async Task<bool> DeferAsync(StoredConnection left, string reason, CancellationToken cancellationToken)
    {
        var connection = left.Connection;
        var deferrals = connection.RefreshDeferrals + 1;
        var nextLook = clock.GetUtcNow() + settings.Backoff(deferrals, null);
        try
        {
            var written = await store.TryReplaceAsync(connection with { RefreshAfter = nextLook, RefreshDeferrals = deferrals }, left.ETag, cancellationToken);
            logger.LogDebug(
                "Sweep cannot refresh {Provider} account {Account} now ({Reason}); {Outcome} until {NextLook:o} (deferral {Deferrals})",
                connection.Key.Provider, connection.Key.Account, reason, written is null ? "changed meanwhile, not deferred" : "deferred", nextLook, deferrals);
            if (written is not null)
            {
                metrics.RefreshDeferred(connection.Key.Provider, reason);
            }

            return written is not null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next sweep meets it again and retries the deferral.
            logger.LogWarning(ex, "Sweep could not defer {Provider} account {Account}", connection.Key.Provider, connection.Key.Account);
            return false;
        }
    }

    /// <param name="Result">Null when the sweep did not try (no OAuth client for the provider here).</param>
    /// <param name="Left">The connection as the attempt last saw it, when it may still be due; null after a refresh.</param>
    private sealed record Attempt(RefreshResult? Result, StoredConnection? Left, string Reason);
}

/// <summary>What one sweep did and cost.</summary>
/// <param name="Skipped">Due connections of a provider with no OAuth client here (or no longer in the catalog).</param>
/// <param name="Deferred">Due connections left unrefreshed whose refreshAfter the sweep moved out by a backoff.</param>
public sealed record SweepReport(
    int Due, int Refreshed, int NotNeeded, int Unavailable, int NeedsReauth, int Skipped, int Deferred, int Queries, double RequestCharge, TimeSpan Elapsed);
