using System.Collections.Concurrent;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Jobs;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Core.Keys;

/// <summary>Scheduled job: re-wraps the data keys of credentials still sealed under an older key-encryption key,
/// so that old key versions fall out of use and can be disabled.</summary>
/// <remarks>
/// <para>Only the wrapped data key changes; the credential ciphertext (bound to its owner) and every other field stay
/// as they are, so no plaintext credential is ever produced.</para>
/// <para>Progress lives in the documents: a re-wrapped credential leaves the query, so a pass cut off anywhere (a
/// budget, a timeout, a crash) is continued by the next one, on any instance.</para>
/// <para>Every write is conditional on the ETag the credential was read with. After a lost race the newest version is
/// re-read and re-wrapped only if it is still under an older key: a credential refreshed or reconnected meanwhile is
/// never overwritten.</para>
/// </remarks>
public sealed class KeyRewrapJob(
    IConnectionStore store,
    EnvelopeEncryption encryption,
    IKeyRing keyRing,
    IKeyRotation rotation,
    RewrapOptions options,
    ILogger<KeyRewrapJob> logger) : IScheduledJob
{
    public const string JobName = "KeyRewrap";

    /// <summary>Lost races tolerated per credential in one pass; after that the next pass takes it.</summary>
    internal const int MaxAttempts = 3;

    private enum OutcomeKind
    {
        Rewrapped,
        AlreadyCurrent,
        Gone,
        Conflicted,
        Failed,
    }

    public string Name => JobName;

    public string ScheduleSetting => RewrapOptions.ScheduleSetting;

    public string DefaultSchedule => RewrapOptions.DefaultSchedule;

    public Task RunAsync(CancellationToken cancellationToken) => RunOnceAsync(null, cancellationToken);

    /// <summary>One bounded pass. <paramref name="maxCredentials"/> may lower <see cref="RewrapOptions.MaxPerRun"/> for this pass.</summary>
    public async Task<RewrapResult> RunOnceAsync(int? maxCredentials, CancellationToken cancellationToken)
    {
        var budget = Math.Clamp(maxCredentials ?? options.MaxPerRun, 1, options.MaxPerRun);
        await ReloadAsync(cancellationToken);
        var currentKeyId = (await keyRing.GetCurrentAsync(cancellationToken)).Id;
        var pass = new Pass();
        var complete = false;
        try
        {
            while (pass.Attempted < budget)
            {
                var wanted = Math.Min(options.PageSize, budget - pass.Attempted);

                // Credentials this pass already left alone (failed, conflicted) still match the query: ask for that many more.
                var limit = wanted + pass.PassedOverCount;
                var page = await store.QueryNotUnderKeyAsync(currentKeyId, limit, cancellationToken);
                var fresh = page.Items.Where(s => !pass.IsPassedOver(s.Connection.Key)).ToList();
                if (fresh.Count == 0)
                {
                    // Only credentials this pass already left alone remain (a full page of them would be a store fault).
                    complete = page.Items.Count < limit;
                    break;
                }

                await Parallel.ForEachAsync(
                    fresh.Take(wanted),
                    new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken },
                    async (stored, ct) => pass.Record(stored.Connection.Key, await RewrapOneAsync(stored, ct)));

                // A short page held everything not under the current key; once its fresh part is done, so is the pass.
                if (page.Items.Count < limit && fresh.Count <= wanted)
                {
                    complete = true;
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation(
                "Key re-wrap cut off after {Rewrapped} re-wrapped, {Skipped} skipped, {Failed} failed; the next pass goes on from the stored state",
                pass.Rewrapped, pass.Skipped, pass.Failed);
            throw;
        }

        var remaining = complete ? pass.Failed + pass.Conflicted : await CountRemainingAsync(currentKeyId, cancellationToken);
        var result = new RewrapResult(currentKeyId, pass.Rewrapped, pass.Skipped, pass.Failed, pass.FailedByKey(), remaining, complete);
        foreach (var (keyId, count) in result.FailedByKey)
        {
            logger.LogWarning(
                "Key re-wrap could not open {Count} credentials sealed under key {KeyId} (version gone, disabled or unreachable); they stay as they are",
                count, keyId);
        }

        logger.LogInformation(
            "Key re-wrap under {KeyId}: {Rewrapped} re-wrapped, {Skipped} skipped, {Failed} failed, {Remaining} remaining under older keys, complete {Complete}",
            currentKeyId, result.Rewrapped, result.Skipped, result.Failed, result.Remaining, result.Complete);
        return result;
    }

    private async Task<Outcome> RewrapOneAsync(StoredConnection stored, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var connection = stored.Connection;
            var sealedCredential = connection.Credential;
            var keyId = sealedCredential.KeyId;
            EncryptedCredential rewrapped;
            try
            {
                // The record's key is looked up before the current one: a version this process has not seen yet (added
                // by another instance) becomes current here, so a process with stale keys never wraps a record back
                // under an older key.
                if (string.IsNullOrWhiteSpace(keyId) || await keyRing.FindAsync(keyId, cancellationToken) is null)
                {
                    return Failed(connection.Key, keyId, "key not held");
                }

                rewrapped = await encryption.RewrapAsync(sealedCredential, cancellationToken);
            }
            catch (McpFunctionsException ex) when (ex.Code is ErrorCode.CredentialDecryptFailed or ErrorCode.ServiceUnavailable)
            {
                return Failed(connection.Key, keyId, ex.Code.ToWire());
            }
            catch (InvalidOperationException ex)
            {
                // The key ring's word for a version it cannot use (not a 32-byte key, access denied): a problem of the
                // credentials under that version, which must not stop the pass. The message names the version, never a value.
                return Failed(connection.Key, keyId, ex.Message);
            }

            if (ReferenceEquals(rewrapped, sealedCredential))
            {
                return new Outcome(OutcomeKind.AlreadyCurrent);
            }

            if (await store.TryReplaceAsync(connection with { Credential = rewrapped }, stored.ETag, cancellationToken) is not null)
            {
                return new Outcome(OutcomeKind.Rewrapped);
            }

            if (attempt >= MaxAttempts)
            {
                logger.LogDebug("Key re-wrap left {Provider} account {Account} to the next pass: it kept changing", connection.Key.Provider, connection.Key.Account);
                return new Outcome(OutcomeKind.Conflicted);
            }

            // Lost a race: the document changed after it was read (a refresh, a reconnect, a touch, another pass).
            // Decide again on its newest version; a credential written meanwhile under the current key is left alone.
            if (await store.ReadLatestAsync(connection.Key, cancellationToken) is not { } latest)
            {
                return new Outcome(OutcomeKind.Gone);
            }

            stored = latest;
        }
    }

    private Outcome Failed(ConnectionKey key, string? keyId, string reason)
    {
        logger.LogDebug(
            "Key re-wrap could not open {Provider} account {Account} of user {UserId} in tenant {TenantId} under key {KeyId}: {Reason}",
            key.Provider, key.Account, key.UserId, key.TenantId, keyId, reason);
        return new Outcome(OutcomeKind.Failed, string.IsNullOrWhiteSpace(keyId) ? "(none)" : keyId);
    }

    /// <summary>Picks up versions added elsewhere before deciding what is old; the cached keys suffice if that fails.</summary>
    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var state = await rotation.DescribeAsync(cancellationToken);
        if (!state.CanRotate)
        {
            return;
        }

        try
        {
            await rotation.ReloadAsync(cancellationToken);
        }
        catch (McpFunctionsException ex) when (ex.Code is ErrorCode.ServiceUnavailable or ErrorCode.KeyRotationUnsupported)
        {
            logger.LogWarning(
                "Key re-wrap could not reload the key ring ({Code}: {Detail}); going on with the {KeyCount} versions held, current {KeyId}",
                ex.Code.ToWire(), ex.Message, state.KeyIds.Count, state.CurrentKeyId);
        }
    }

    /// <summary>After a pass stopped by its budget: how many credentials are still under older keys (a scan of key ids).</summary>
    private async Task<int?> CountRemainingAsync(string currentKeyId, CancellationToken cancellationToken)
    {
        try
        {
            var counts = await store.CountByKeyAsync(cancellationToken);
            return counts.Where(c => !string.Equals(c.Key, currentKeyId, StringComparison.Ordinal)).Sum(c => c.Value);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The pass itself succeeded; only its estimate is missing.
            logger.LogWarning(ex, "Key re-wrap could not count the credentials left under older keys");
            return null;
        }
    }

    private readonly record struct Outcome(OutcomeKind Kind, string? KeyId = null);

    /// <summary>The tallies of one pass, updated by parallel workers.</summary>
    private sealed class Pass
    {
        private readonly ConcurrentDictionary<ConnectionKey, byte> passedOver = new();
        private readonly ConcurrentDictionary<string, int> failedByKey = new(StringComparer.Ordinal);
        private int attempted;
        private int rewrapped;
        private int skipped;
        private int failed;
        private int conflicted;

        public int Attempted => Volatile.Read(ref attempted);

        public int Rewrapped => Volatile.Read(ref rewrapped);

        public int Skipped => Volatile.Read(ref skipped);

        public int Failed => Volatile.Read(ref failed);

        public int Conflicted => Volatile.Read(ref conflicted);

        public int PassedOverCount => passedOver.Count;

        public bool IsPassedOver(ConnectionKey key) => passedOver.ContainsKey(key);

        public SortedDictionary<string, int> FailedByKey() => new SortedDictionary<string, int>(failedByKey, StringComparer.Ordinal);

        public void Record(ConnectionKey key, Outcome outcome)
        {
            Interlocked.Increment(ref attempted);
            if (outcome.Kind == OutcomeKind.Rewrapped)
            {
                Interlocked.Increment(ref rewrapped);
                return;
            }

            // Whatever this pass did not re-wrap, it does not look at again.
            passedOver.TryAdd(key, 0);
            switch (outcome.Kind)
            {
                case OutcomeKind.Failed:
                    Interlocked.Increment(ref failed);
                    failedByKey.AddOrUpdate(outcome.KeyId!, 1, (_, n) => n + 1);
                    break;
                case OutcomeKind.Conflicted:
                    Interlocked.Increment(ref conflicted);
                    Interlocked.Increment(ref skipped);
                    break;
                default:
                    Interlocked.Increment(ref skipped);
                    break;
            }
        }
    }
}
