using System.Collections.Concurrent;
using System.Diagnostics;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Events;
using McpFunctions.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.OAuth;

/// <summary>Refreshes a connection's OAuth tokens exactly once at a time, across callers and instances.</summary>
/// <remarks>
/// <para>Providers rotate refresh tokens: presenting one twice revokes the whole grant. So:</para>
/// <list type="number">
/// <item>In-process single flight: concurrent callers for one connection share one attempt.</item>
/// <item>Across instances, a lease written onto the connection document with its ETag: only the writer whose
/// ETag still matched may send the refresh token it read, which is therefore the newest one. Losers poll the
/// document until the lease is gone and use the winner's tokens. Redis plays no part, so correctness does
/// not depend on it.</item>
/// <item>The new token set is stored before anyone uses it, retried until it sticks: the provider has already
/// consumed the old refresh token, so losing the new one would lose the connection.</item>
/// </list>
/// <para>The attempt itself never observes a caller's cancellation: a refresh abandoned half-way could leave
/// the provider holding a rotated token we never stored. Callers stop waiting; the attempt finishes.</para>
/// </remarks>
public sealed class TokenRefresher(
    IConnectionStore store,
    CredentialProtector protector,
    ITokenEndpoint tokenEndpoint,
    IConnectionEvents events,
    RefreshSettings settings,
    TimeProvider clock,
    McpMetrics metrics,
    ILogger<TokenRefresher> logger)
{
    /// <summary>How long a lost refresh result is retried against storage before giving up loudly.</summary>
    public static readonly TimeSpan PersistDeadline = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Lost races for the lease before giving up for now (each loss means the document changed under us).</summary>
    private const int MaxLeaseRaces = 16;

    private readonly ConcurrentDictionary<ConnectionKey, Lazy<Task<RefreshOutcome>>> flights = new();
    private readonly string instance = Guid.NewGuid().ToString("N")[..12];

    /// <summary>True when the access token has less than the provider's margin left (or has expired).</summary>
    public bool IsExpiring(Connection connection, OAuthProvider provider) =>
        connection.ExpiresAt is { } expiresAt && expiresAt - provider.Settings.RefreshMargin <= clock.GetUtcNow();

    /// <summary>Before a call: refresh if the token is about to expire.</summary>
    public Task<RefreshOutcome> RefreshExpiringAsync(OAuthProvider provider, ConnectionKey key, CancellationToken cancellationToken) =>
        JoinAsync(provider, key, "expiring", c => IsExpiring(c, provider), cancellationToken);

    /// <summary>After the provider answered 401 to <paramref name="used"/>: refresh unless someone already replaced that credential.</summary>
    public Task<RefreshOutcome> RefreshRejectedAsync(OAuthProvider provider, StoredConnection used, CancellationToken cancellationToken) =>
        JoinAsync(provider, used.Connection.Key, "rejected", c => c.Credential == used.Connection.Credential, cancellationToken);

    /// <summary>From the sweep: refresh if still due. <paramref name="due"/> (as the query returned it) saves a read;
    /// if it is stale, the lease write fails on its ETag and the newest version is read.</summary>
    public Task<RefreshOutcome> RefreshDueAsync(OAuthProvider provider, StoredConnection due, CancellationToken cancellationToken) =>
        JoinAsync(provider, due.Connection.Key, "sweep", c => c.RefreshAfter is { } at && at <= clock.GetUtcNow(), cancellationToken, due);

    /// <param name="trigger">Why a refresh is considered (<c>expiring</c>, <c>rejected</c>, <c>sweep</c>): counted with the outcome.</param>
    private async Task<RefreshOutcome> JoinAsync(
        OAuthProvider provider, ConnectionKey key, string trigger, Func<Connection, bool> needed, CancellationToken cancellationToken, StoredConnection? known = null)
    {
        var flight = flights.GetOrAdd(key, k => new Lazy<Task<RefreshOutcome>>(() => FlyAsync(provider, k, trigger, needed, known)));
        return await flight.Value.WaitAsync(cancellationToken);
    }

    private async Task<RefreshOutcome> FlyAsync(OAuthProvider provider, ConnectionKey key, string trigger, Func<Connection, bool> needed, StoredConnection? known)
    {
        try
        {
            var outcome = await RefreshAsync(provider, key, needed, known);
            // One count per flight, not per waiter: what the provider and the store saw.
            metrics.RefreshAttempted(provider.Id, trigger, OutcomeTag(outcome.Result));
            return outcome;
        }
        finally
        {
            flights.TryRemove(key, out _);
        }
    }

    private static string OutcomeTag(RefreshResult result) => result switch
    {
        RefreshResult.Refreshed => "refreshed",
        RefreshResult.NotNeeded => "not_needed",
        RefreshResult.Unavailable => "unavailable",
        RefreshResult.NeedsReauth => "needs_reauth",
        RefreshResult.Missing => "missing",
        _ => "unknown",
    };

    private async Task<RefreshOutcome> RefreshAsync(OAuthProvider provider, ConnectionKey key, Func<Connection, bool> needed, StoredConnection? known)
    {
        var waited = Stopwatch.StartNew();
        var maxWait = settings.Lease * 2;
        for (var races = 0; ; )
        {
            var latest = known ?? await store.ReadLatestAsync(key, CancellationToken.None);
            known = null;
            if (latest is null)
            {
                return new RefreshOutcome(RefreshResult.Missing, null);
            }

            var connection = latest.Connection;
            if (connection.Status != ConnectionStatus.Active)
            {
                return new RefreshOutcome(RefreshResult.NeedsReauth, latest, Reason: connection.LastRefreshError);
            }

            if (!needed(connection))
            {
                return new RefreshOutcome(RefreshResult.NotNeeded, latest);
            }

            var now = clock.GetUtcNow();
            if (connection.RefreshLease is { } lease && lease.Until > now)
            {
                // Another instance is refreshing: its result will be on the document shortly.
                if (waited.Elapsed > maxWait)
                {
                    return new RefreshOutcome(RefreshResult.Unavailable, latest, Reason: "refresh_in_progress");
                }

                await Task.Delay(PollInterval + TimeSpan.FromMilliseconds(Random.Shared.Next(50)));
                continue;
            }

            if (connection.NextRefreshAttemptAt is { } next && next > now)
            {
                return new RefreshOutcome(RefreshResult.Unavailable, latest, Reason: connection.LastRefreshError ?? "backing_off");
            }

            // Open before leasing: a credential we cannot read must not hold a lease.
            var current = await protector.UnprotectAsync(connection.Credential, key, CancellationToken.None);
            if (current.RefreshToken is null)
            {
                return await NoRefreshTokenAsync(latest);
            }

            var leaseId = $"{instance}:{Guid.NewGuid():N}";
            var leased = await store.TryReplaceAsync(connection with { RefreshLease = new RefreshLease(leaseId, now + settings.Lease) }, latest.ETag, CancellationToken.None);
            if (leased is null)
            {
                // Lost the race for the lease (or the document changed): decide again on the newest version.
                if (++races >= MaxLeaseRaces)
                {
                    return new RefreshOutcome(RefreshResult.Unavailable, latest, Reason: "contention");
                }

                continue;
            }

            return await RefreshUnderLeaseAsync(provider, leased, current);
        }
    }

    private async Task<RefreshOutcome> RefreshUnderLeaseAsync(OAuthProvider provider, StoredConnection leased, Credential current)
    {
        var connection = leased.Connection;
        var etag = leased.ETag;
        var result = await tokenEndpoint.RefreshAsync(provider.Descriptor, provider.Client, current.RefreshToken!, CancellationToken.None);
        var now = clock.GetUtcNow();
        switch (result)
        {
            case TokenResult.Granted granted:
                return await StoreRefreshedAsync(provider, leased, current, granted.Tokens, now);

            case TokenResult.Rejected rejected:
            {
                var marked = await PersistAsync(connection, etag, c => c with
                {
                    Status = ConnectionStatus.NeedsReauth,
                    RefreshAfter = null,
                    RefreshLease = null,
                    RefreshFailureCount = c.RefreshFailureCount + 1,
                    LastRefreshError = rejected.Error,
                });
                if (marked is null)
                {
                    return await ReplacedMeanwhileAsync(connection.Key, "refused");
                }

                logger.LogWarning("{Provider} refused the refresh of account {Account} ({Error}): marked needs_reauth", connection.Key.Provider, connection.Key.Account, rejected.Error);
                await PublishAsync(ConnectionEventTypes.NeedsReauth, connection.Key, rejected.Error);
                return new RefreshOutcome(RefreshResult.NeedsReauth, marked, Reason: rejected.Error);
            }

            case TokenResult.Failed failed:
            {
                var failures = connection.RefreshFailureCount + 1;
                var expired = connection.ExpiresAt is { } expiresAt && expiresAt <= now;
                var giveUp = expired && failures >= settings.MaxFailuresAfterExpiry;
                // A whole second, as the store keeps it: refreshAfter and the next attempt then stay the same instant.
                var nextAttempt = WholeSecond.NotBefore(now + settings.Backoff(failures, failed.RetryAfter));
                var marked = await PersistAsync(connection, etag, c => c with
                {
                    Status = giveUp ? ConnectionStatus.NeedsReauth : c.Status,
                    // A dead connection leaves the sweep's range for good; a reconnect sets a new refreshAfter. One backing
                    // off leaves it until its next attempt, so the sweep's range (refreshAfter <= now) holds only what is due.
                    RefreshAfter = giveUp ? null : c.RefreshAfter is { } at && at < nextAttempt ? nextAttempt : c.RefreshAfter,
                    RefreshLease = null,
                    RefreshFailureCount = failures,
                    NextRefreshAttemptAt = nextAttempt,
                    LastRefreshError = failed.Reason,
                });
                if (marked is null)
                {
                    return await ReplacedMeanwhileAsync(connection.Key, "failed");
                }

                logger.LogWarning(
                    "Refreshing {Provider} account {Account} failed ({Reason}, failure {Failures}); next attempt at {NextAttempt:o}{GiveUp}",
                    connection.Key.Provider, connection.Key.Account, failed.Reason, failures, nextAttempt, giveUp ? "; token expired: marked needs_reauth" : "");
                await PublishAsync(ConnectionEventTypes.RefreshFailed, connection.Key, failed.Reason);
                if (giveUp)
                {
                    await PublishAsync(ConnectionEventTypes.NeedsReauth, connection.Key, $"refresh_failed:{failed.Reason}");
                    return new RefreshOutcome(RefreshResult.NeedsReauth, marked, Reason: failed.Reason);
                }

                return new RefreshOutcome(RefreshResult.Unavailable, marked, Reason: failed.Reason);
            }

            default:
                throw new InvalidOperationException($"Unhandled token result {result.GetType().Name}.");
        }
    }

    private async Task<RefreshOutcome> StoreRefreshedAsync(OAuthProvider provider, StoredConnection leased, Credential current, TokenSet tokens, DateTimeOffset now)
    {
        var connection = leased.Connection;
        var credential = tokens.ToCredential(current.RefreshToken);
        var sealedCredential = await protector.ProtectAsync(credential, connection.Key, CancellationToken.None);
        var expiresAt = now + tokens.ExpiresIn;
        var refreshTokenExpiresAt = tokens.RefreshTokenExpiresIn is { } lifetime
            ? now + lifetime
            : tokens.RefreshToken is null ? connection.RefreshTokenExpiresAt : null;
        var stored = await PersistAsync(connection, leased.ETag, c => c with
        {
            Credential = sealedCredential,
            Scopes = tokens.Scopes ?? c.Scopes,
            ExpiresAt = expiresAt,
            RefreshTokenExpiresAt = refreshTokenExpiresAt,
            RefreshAfter = RefreshSettings.RefreshAfter(now, expiresAt, refreshTokenExpiresAt, credential.RefreshToken is not null, provider.Settings),
            LastRefreshedAt = now,
            RefreshFailureCount = 0,
            NextRefreshAttemptAt = null,
            LastRefreshError = null,
            RefreshDeferrals = 0,
            RefreshLease = null,
        });
        if (stored is null)
        {
            return await ReplacedMeanwhileAsync(connection.Key, "succeeded; the new tokens are dropped");
        }

        logger.LogInformation("Refreshed {Provider} account {Account}; token expires at {ExpiresAt:o}", connection.Key.Provider, connection.Key.Account, expiresAt);
        if (connection.RefreshFailureCount > 0)
        {
            await PublishAsync(ConnectionEventTypes.Recovered, connection.Key, $"refreshed after {connection.RefreshFailureCount} failed attempts");
        }

        await PublishAsync(ConnectionEventTypes.Refreshed, connection.Key, null);
        return new RefreshOutcome(RefreshResult.Refreshed, stored, credential);
    }

    /// <summary>The token cannot be refreshed at all: usable until it expires, then the user must reconnect.</summary>
    private async Task<RefreshOutcome> NoRefreshTokenAsync(StoredConnection latest)
    {
        var connection = latest.Connection;
        if (connection.ExpiresAt is not { } expiresAt || expiresAt > clock.GetUtcNow())
        {
            return new RefreshOutcome(RefreshResult.NotNeeded, latest);
        }

        var marked = await PersistAsync(connection, latest.ETag, c => c with { Status = ConnectionStatus.NeedsReauth, LastRefreshError = "no_refresh_token", RefreshAfter = null });
        if (marked is null)
        {
            return await ReplacedMeanwhileAsync(connection.Key, "found no refresh token");
        }

        await PublishAsync(ConnectionEventTypes.NeedsReauth, connection.Key, "no_refresh_token");
        return new RefreshOutcome(RefreshResult.NeedsReauth, marked, Reason: "no_refresh_token");
    }

    /// <summary>
    /// The user reconnected or disconnected while we refreshed: what we learnt concerns a credential that is gone, so the
    /// connection as it is now wins, nothing is marked and no event is sent for it.
    /// </summary>
    private async Task<RefreshOutcome> ReplacedMeanwhileAsync(ConnectionKey key, string what)
    {
        logger.LogInformation("Refreshing {Provider} account {Account} {What}, but the credential was replaced meanwhile", key.Provider, key.Account, what);
        var latest = await store.ReadLatestAsync(key, CancellationToken.None);
        return new RefreshOutcome(latest is null ? RefreshResult.Missing : RefreshResult.NotNeeded, latest);
    }

    /// <summary>Applies <paramref name="change"/> while the document still holds the credential we refreshed from;
    /// retried past transient storage failures, because the provider has already acted.</summary>
    /// <param name="etag">The version we leased: usually still current, so the write needs no read first.</param>
    /// <returns>Null when the credential was replaced meanwhile (a reconnect wins over our result).</returns>
    private async Task<StoredConnection?> PersistAsync(Connection refreshedFrom, string etag, Func<Connection, Connection> change)
    {
        var deadline = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (attempt == 1 && await store.TryReplaceAsync(change(refreshedFrom), etag, CancellationToken.None) is { } written)
                {
                    return written;
                }

                // Someone wrote in between (e.g. lastUsedAt): apply the change to the newest version.
                return await store.UpdateAsync(
                    refreshedFrom.Key,
                    c => c.Credential == refreshedFrom.Credential ? change(c) : null,
                    CancellationToken.None);
            }
            catch (Exception ex) when (deadline.Elapsed < PersistDeadline && ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Storing the refresh result of {Provider} account {Account} failed (attempt {Attempt}); retrying", refreshedFrom.Key.Provider, refreshedFrom.Key.Account, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, attempt))));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogCritical(ex, "Could not store the refresh result of {Provider} account {Account}: the provider may have rotated its refresh token; the user may have to reconnect", refreshedFrom.Key.Provider, refreshedFrom.Key.Account);
                throw new McpFunctionsException(ErrorCode.ServiceUnavailable, "Storage is unavailable; the token could not be saved.");
            }
        }
    }

    private Task PublishAsync(string type, ConnectionKey key, string? reason) =>
        events.PublishAsync(
            ConnectionEvent.Of(type, key, clock.GetUtcNow(), reason),
            CancellationToken.None);
}
