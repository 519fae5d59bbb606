using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.Errors;
using McpFunctions.Core.Keys;
using Microsoft.Extensions.Logging;

namespace McpFunctions.Adapters.KeyRing;

/// <summary>A key ring whose versions are the enabled versions of one Key Vault secret (each base64 of 32 bytes), cached in process memory.</summary>
/// <remarks>
/// Key ids are <c>kv:{secretName}/{version}</c>; the newest enabled version (by creation time) is current. Key material
/// lives only in this object: a refresh every <see cref="DefaultRefreshInterval"/> (in the background, started by the
/// first call after it is due, one at a time) picks up versions added or disabled elsewhere, and a record sealed under
/// a version this process has not seen yet (another instance rotated) is served by fetching that one version.
/// Once keys are loaded, a Key Vault outage only costs a logged warning: the cached keys keep working. A secret
/// value is never logged or put in an exception message, only the secret's name and version.
/// </remarks>
public sealed class KeyVaultKeyRing : IKeyRing, IKeyRotation, IDisposable
{
    public const string KeyIdPrefix = "kv:";
    public const string Source = "KeyVault";

    /// <summary>The content type set on the versions this ring creates.</summary>
    public const string SecretContentType = "application/octet-stream; base64";

    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromMinutes(10);

    /// <summary>How long "this version does not exist or is disabled" is remembered, so a bad key id costs at most one call a minute.</summary>
    internal static readonly TimeSpan UnavailableVersionMemory = TimeSpan.FromMinutes(1);

    /// <summary>After a failed refresh, the next attempt comes this much later (the cached keys stay in use meanwhile).</summary>
    internal static readonly TimeSpan FailedRefreshRetry = TimeSpan.FromMinutes(1);

    /// <summary>After a failed first load, callers fail fast for this long instead of each waiting out the SDK's retries.</summary>
    internal static readonly TimeSpan FailedLoadBackoff = TimeSpan.FromSeconds(5);

    internal const string UnavailableMessage = "The credential encryption keys cannot be loaded: Key Vault is unreachable. Try again shortly.";

    // Key Vault versions are 32 hexadecimal characters; other ids never reach Key Vault.
    private const int VersionLength = 32;
    private const int MaxRememberedUnavailable = 1024;

    private readonly SecretClient client;
    private readonly string secretName;
    private readonly string keyIdPrefix;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly TimeSpan refreshInterval;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly CancellationTokenSource stopping = new();
    private readonly CancellationToken stoppingToken;
    private readonly ConcurrentDictionary<string, DateTimeOffset> unavailableUntil = new(StringComparer.Ordinal);
    private volatile Snapshot? snapshot;
    private volatile FailedLoad? lastFailedLoad;
    private long nextRefreshUtcTicks;
    private int refreshing;
    private int disposed;

    public KeyVaultKeyRing(SecretClient client, string secretName, TimeProvider timeProvider, ILogger logger, TimeSpan? refreshInterval = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(secretName);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        if (refreshInterval is { } interval)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero, nameof(refreshInterval));
        }

        this.client = client;
        this.secretName = secretName;
        keyIdPrefix = KeyIdPrefix + secretName + "/";
        time = timeProvider;
        this.logger = logger;
        this.refreshInterval = refreshInterval ?? DefaultRefreshInterval;
        stoppingToken = stopping.Token;
    }

    public string SecretName => secretName;

    /// <summary>The background refresh started last (completed when none ran yet); it never throws.</summary>
    internal Task LastRefresh { get; private set; } = Task.CompletedTask;

    /// <summary>Builds the production ring: a <see cref="SecretClient"/> for the vault with DefaultAzureCredential
    /// (user-assigned identity from <see cref="KeyVaultKeyRingOptions.ClientId"/> or AZURE_CLIENT_ID).</summary>
    public static KeyVaultKeyRing Create(KeyVaultKeyRingOptions options, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var vaultUri = options.VaultUri ?? throw new InvalidOperationException($"{KeyVaultKeyRingOptions.Section}__vaultUri is required (the Key Vault URI).");
        return new KeyVaultKeyRing(CreateSecretClient(vaultUri, options.ClientId), options.SecretName, timeProvider, logger, options.RefreshInterval);
    }

    /// <summary>A <see cref="SecretClient"/> authenticated as the app's managed identity (or the developer's Azure login).</summary>
    public static SecretClient CreateSecretClient(Uri vaultUri, string? managedIdentityClientId = null)
    {
        ArgumentNullException.ThrowIfNull(vaultUri);
        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = Identity.ManagedIdentityClientId.Resolve(managedIdentityClientId),
        });
        return new SecretClient(vaultUri, credential, CreateClientOptions());
    }

    /// <summary>Client options with our retry policy: exponential back-off over a few tries; the SDK retries 408, 429
    /// (honouring Retry-After), 500, 502, 503, 504 and network failures.</summary>
    public static SecretClientOptions CreateClientOptions()
    {
        var options = new SecretClientOptions();
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(500);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(8);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(20);
        return options;
    }

    /// <summary>The key id of a version of <paramref name="secretName"/>.</summary>
    public static string KeyIdFor(string secretName, string version) => KeyIdPrefix + secretName + "/" + version;

    public async ValueTask<KeyEncryptionKey> GetCurrentAsync(CancellationToken cancellationToken) =>
        (await GetSnapshotAsync(cancellationToken)).Current.Key;

    public async ValueTask<KeyEncryptionKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        var loaded = await GetSnapshotAsync(cancellationToken);
        if (string.IsNullOrEmpty(keyId))
        {
            return null;
        }

        if (loaded.Find(keyId) is { } known)
        {
            return known.Key;
        }

        if (VersionOf(keyId) is not { } version || IsRememberedUnavailable(keyId))
        {
            return null;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have fetched it (or found it missing) while this one waited.
            loaded = snapshot!;
            if (loaded.Find(keyId) is { } fetchedMeanwhile)
            {
                return fetchedMeanwhile.Key;
            }

            if (IsRememberedUnavailable(keyId))
            {
                return null;
            }

            Entry? entry;
            try
            {
                entry = await FetchVersionAsync(version, cancellationToken);
            }
            catch (Exception ex) when (IsKeyVaultFailure(ex, cancellationToken))
            {
                throw Classify(ex);
            }

            if (entry is null)
            {
                RememberUnavailable(keyId);
                logger.LogWarning(
                    "Key {KeyId} is not an enabled version of Key Vault secret {SecretName}; records sealed under it cannot be opened",
                    keyId, secretName);
                return null;
            }

            var next = loaded.With(entry);
            snapshot = next;
            logger.LogInformation(
                "Loaded key {KeyId} of Key Vault secret {SecretName} on demand (added elsewhere); current key {CurrentKeyId}",
                keyId, secretName, next.Current.Key.Id);
            return entry.Key;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Healthy when keys are loaded (a Key Vault outage then does not matter); otherwise tries to load them.</summary>
    public async Task CheckHealthAsync(CancellationToken cancellationToken) => _ = await GetSnapshotAsync(cancellationToken);

    /// <summary>The operator's rotation step: adds a new random version to the secret, reloads, and returns its key id,
    /// which from now on seals new credentials (here at once; in other instances after their next refresh).</summary>
    public async Task<string> AddVersionAsync(CancellationToken cancellationToken)
    {
        var material = RandomNumberGenerator.GetBytes(KeyEncryptionKey.SizeInBytes);
        var secret = new KeyVaultSecret(secretName, Convert.ToBase64String(material));
        secret.Properties.ContentType = SecretContentType;
        SecretProperties created;
        try
        {
            created = (await client.SetSecretAsync(secret, cancellationToken)).Value.Properties;
        }
        catch (Exception ex) when (IsKeyVaultFailure(ex, cancellationToken))
        {
            CryptographicOperations.ZeroMemory(material);
            throw ForOperator(Classify(ex));
        }

        var keyId = KeyIdFor(secretName, created.Version);
        var entry = new Entry(created.Version, created.CreatedOn ?? time.GetUtcNow(), new KeyEncryptionKey(keyId, material));
        Snapshot result;
        await gate.WaitAsync(cancellationToken);
        try
        {
            unavailableUntil.TryRemove(keyId, out _);
            snapshot = snapshot?.With(entry) ?? new Snapshot([entry]);
            try
            {
                await LoadAsync(cancellationToken);
            }
            catch (Exception ex) when (IsKeyVaultFailure(ex, cancellationToken))
            {
                ScheduleRefresh(FailedRefreshRetry);
                logger.LogWarning(ex, "Added key {KeyId} to Key Vault secret {SecretName} but could not reload its other versions; retrying later", keyId, secretName);
            }

            result = snapshot!;
            if (result.Find(keyId) is null)
            {
                // The listing did not show the new version yet; it exists, so keep it.
                result = result.With(entry);
                snapshot = result;
            }
        }
        finally
        {
            gate.Release();
        }

        logger.LogInformation("Added key {KeyId} to Key Vault secret {SecretName}; new credentials are sealed under {CurrentKeyId}", keyId, secretName, result.Current.Key.Id);
        return keyId;
    }

    /// <summary>Re-reads every version now (the operator's "pick up the version I added in the portal"). On failure the
    /// keys held stay in use and the error says why: SERVICE_UNAVAILABLE for an outage, KEY_ROTATION_UNSUPPORTED for a
    /// vault that refuses access or holds a version that is not a key.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await LoadAsync(cancellationToken);
        }
        catch (Exception ex) when (IsKeyVaultFailure(ex, cancellationToken))
        {
            var held = snapshot;
            if (held is not null)
            {
                ScheduleRefresh(FailedRefreshRetry);
            }

            logger.LogWarning(
                ex,
                "Reloading Key Vault secret {SecretName} failed; keeping the {KeyCount} keys held (current {KeyId})",
                secretName, held?.Count ?? 0, held?.Current.Key.Id);
            throw ForOperator(Classify(ex));
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask<KeyRingState> DescribeAsync(CancellationToken cancellationToken)
    {
        var held = await GetSnapshotAsync(cancellationToken);
        return new KeyRingState(
            Source,
            CanRotate: true,
            held.Current.Key.Id,
            held.Current.CreatedOn,
            refreshInterval,
            [.. held.NewestFirst().Select(e => e.Key.Id)]);
    }

    /// <summary>Stops a background refresh in flight; the ring is not usable afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        stopping.Cancel();
        stopping.Dispose();
        gate.Dispose();
    }

    private async ValueTask<Snapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        if (snapshot is { } loaded)
        {
            StartRefreshIfDue();
            return loaded;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (snapshot is { } loadedMeanwhile)
            {
                return loadedMeanwhile;
            }

            if (lastFailedLoad is { } failed && time.GetUtcNow() - failed.At < FailedLoadBackoff)
            {
                throw new McpFunctionsException(ErrorCode.ServiceUnavailable, UnavailableMessage, failed.Error);
            }

            try
            {
                return await LoadAsync(cancellationToken);
            }
            catch (Exception ex) when (IsKeyVaultFailure(ex, cancellationToken))
            {
                var error = Classify(ex);
                logger.LogError(ex, "Loading the key-encryption keys from Key Vault secret {SecretName} failed; this process has no keys", secretName);
                if (error is McpFunctionsException)
                {
                    lastFailedLoad = new FailedLoad(time.GetUtcNow(), ex);
                }

                if (ReferenceEquals(error, ex))
                {
                    throw;
                }

                throw error;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private void StartRefreshIfDue()
    {
        if (time.GetUtcNow().UtcTicks < Interlocked.Read(ref nextRefreshUtcTicks)
            || Interlocked.CompareExchange(ref refreshing, 1, 0) != 0)
        {
            return;
        }

        // In the background: the caller goes on with the cached keys, whatever Key Vault does.
        LastRefresh = Task.Run(RefreshAsync);
    }

    private async Task RefreshAsync()
    {
        try
        {
            await gate.WaitAsync(stoppingToken);
            try
            {
                if (time.GetUtcNow().UtcTicks >= Interlocked.Read(ref nextRefreshUtcTicks))
                {
                    await LoadAsync(stoppingToken);
                }
            }
            finally
            {
                gate.Release();
            }
        }
        catch (Exception) when (Volatile.Read(ref disposed) != 0)
        {
            // Shutting down: nothing to keep fresh.
        }
        catch (Exception ex)
        {
            ScheduleRefresh(FailedRefreshRetry);
            var cached = snapshot;
            logger.LogWarning(
                ex,
                "Refreshing Key Vault secret {SecretName} failed; keeping the {KeyCount} cached keys (current {KeyId}) and retrying in {RetryIn}",
                secretName, cached?.Count ?? 0, cached?.Current.Key.Id, FailedRefreshRetry);
        }
        finally
        {
            Volatile.Write(ref refreshing, 0);
        }
    }

    /// <summary>Reads all versions and publishes a new snapshot; the caller holds <see cref="gate"/>.</summary>
    private async Task<Snapshot> LoadAsync(CancellationToken cancellationToken)
    {
        var previous = snapshot;
        var entries = new List<Entry>();
        var enabled = new List<SecretProperties>();
        var disabled = 0;
        await foreach (var properties in client.GetPropertiesOfSecretVersionsAsync(secretName, cancellationToken))
        {
            if (properties.Enabled == true)
            {
                enabled.Add(properties);
                continue;
            }

            disabled++;
            RememberUnavailable(KeyIdFor(secretName, properties.Version));
        }

        SecretProperties? newest = null;
        foreach (var properties in enabled)
        {
            if (newest is null || IsNewer(properties.CreatedOn, properties.Version, newest.CreatedOn, newest.Version))
            {
                newest = properties;
            }
        }

        foreach (var properties in enabled)
        {
            var keyId = KeyIdFor(secretName, properties.Version);

            // A version's value never changes, so a version already held is not fetched again.
            if (previous?.Find(keyId) is { } known)
            {
                entries.Add(known);
                continue;
            }

            try
            {
                if (await FetchVersionAsync(properties.Version, cancellationToken) is { } fetched)
                {
                    entries.Add(fetched);
                }
            }
            catch (InvalidOperationException ex) when (!ReferenceEquals(properties, newest))
            {
                // An older version that is not a key (set by hand in the portal) sealed nothing we could open: skip it
                // rather than refuse every version. A malformed newest version does fail the load, since new
                // credentials would otherwise be sealed under an older key without anyone noticing.
                RememberUnavailable(keyId);
                logger.LogError("Skipped {KeyId}: {Problem}", keyId, ex.Message);
            }
        }

        if (entries.Count == 0)
        {
            throw new InvalidOperationException(
                $"Key Vault secret '{secretName}' has no enabled version ({disabled} disabled). Create one with the rotation step "
                + $"(a new version whose value is base64 of {KeyEncryptionKey.SizeInBytes} random bytes), or enable an existing one.");
        }

        var next = new Snapshot(entries);
        snapshot = next;
        lastFailedLoad = null;
        ScheduleRefresh(refreshInterval);
        foreach (var entry in entries)
        {
            unavailableUntil.TryRemove(entry.Key.Id, out _);
        }

        if (previous is null || previous.Current.Key.Id != next.Current.Key.Id || previous.Count != next.Count)
        {
            logger.LogInformation(
                "Loaded {KeyCount} enabled versions of Key Vault secret {SecretName} ({DisabledCount} disabled); new credentials are sealed under {KeyId}",
                next.Count, secretName, disabled, next.Current.Key.Id);
        }

        return next;
    }

    /// <summary>One version with its value; null when it does not exist or is disabled.</summary>
    private async Task<Entry?> FetchVersionAsync(string version, CancellationToken cancellationToken)
    {
        KeyVaultSecret secret;
        try
        {
            secret = (await client.GetSecretAsync(secretName, version, cancellationToken)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404 || IsSecretDisabled(ex))
        {
            return null;
        }

        if (secret.Properties.Enabled != true)
        {
            return null;
        }

        var keyId = KeyIdFor(secretName, version);
        return new Entry(version, secret.Properties.CreatedOn ?? DateTimeOffset.MinValue, new KeyEncryptionKey(keyId, Decode(secret.Value, version)));
    }

    private byte[] Decode(string? value, string version)
    {
        // Messages name the secret and version, never the value: a near-miss key is still mostly secret.
        var expected = $"expected base64 of {KeyEncryptionKey.SizeInBytes} random bytes";
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException($"Key Vault secret '{secretName}' ({KeyVaultKeyRingOptions.Section}__secretName) version '{version}' is empty; {expected}.");
        }

        var text = value.Trim();
        var buffer = new byte[text.Length];
        try
        {
            if (!Convert.TryFromBase64String(text, buffer, out var written))
            {
                throw new InvalidOperationException($"Key Vault secret '{secretName}' ({KeyVaultKeyRingOptions.Section}__secretName) version '{version}' is not valid base64; {expected}.");
            }

            if (written != KeyEncryptionKey.SizeInBytes)
            {
                throw new InvalidOperationException(
                    $"Key Vault secret '{secretName}' ({KeyVaultKeyRingOptions.Section}__secretName) version '{version}' decodes to {written} bytes; {expected}.");
            }

            return buffer[..written];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>The version in a key id of our secret (<c>kv:{secretName}/{32 hex}</c>); null for any other id.</summary>
    private string? VersionOf(string keyId)
    {
        if (!keyId.StartsWith(keyIdPrefix, StringComparison.Ordinal) || keyId.Length != keyIdPrefix.Length + VersionLength)
        {
            return null;
        }

        var version = keyId[keyIdPrefix.Length..];
        foreach (var c in version)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return null;
            }
        }

        return version;
    }

    private bool IsRememberedUnavailable(string keyId) =>
        unavailableUntil.TryGetValue(keyId, out var until) && time.GetUtcNow() < until;

    private void RememberUnavailable(string keyId)
    {
        var now = time.GetUtcNow();
        if (unavailableUntil.Count >= MaxRememberedUnavailable)
        {
            foreach (var (id, until) in unavailableUntil)
            {
                if (until <= now)
                {
                    unavailableUntil.TryRemove(id, out _);
                }
            }

            if (unavailableUntil.Count >= MaxRememberedUnavailable)
            {
                unavailableUntil.Clear();
            }
        }

        unavailableUntil[keyId] = now + UnavailableVersionMemory;
    }

    private void ScheduleRefresh(TimeSpan after) =>
        Interlocked.Exchange(ref nextRefreshUtcTicks, (time.GetUtcNow() + after).UtcTicks);

    /// <summary>Failures of Key Vault, the network or the credential (and our own format checks); not the caller's cancellation.</summary>
    private static bool IsKeyVaultFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested;

    /// <summary>Configuration problems become <see cref="InvalidOperationException"/> naming what to fix; outages a
    /// <see cref="McpFunctionsException"/> with <see cref="ErrorCode.ServiceUnavailable"/> (HTTP 503).</summary>
    private Exception Classify(Exception ex) => ex switch
    {
        RequestFailedException { Status: 401 or 403 } denied => new InvalidOperationException(
            $"Key Vault denied access to secret '{secretName}' (status {denied.Status}, {denied.ErrorCode}): grant the app's identity "
            + "'Key Vault Secrets User' (and 'Key Vault Secrets Officer' to add versions).", ex),
        RequestFailedException { Status: 404 } => new InvalidOperationException(
            $"Key Vault secret '{secretName}' does not exist in this vault; create it with the rotation step.", ex),
        RequestFailedException { Status: 400 } invalid => new InvalidOperationException(
            $"Key Vault rejected a request for secret '{secretName}' as invalid ({invalid.ErrorCode}).", ex),
        CredentialUnavailableException => new InvalidOperationException(
            "No Azure credential is available to reach Key Vault: set AZURE_CLIENT_ID to the app's user-assigned identity.", ex),
        RequestFailedException or AuthenticationFailedException or HttpRequestException or IOException or OperationCanceledException
            => new McpFunctionsException(ErrorCode.ServiceUnavailable, UnavailableMessage, ex),
        _ => ex,
    };

    /// <summary>For an operator's call: a configuration problem (access denied, a version that is not a key) becomes
    /// KEY_ROTATION_UNSUPPORTED with the same safe message, so the endpoint can say what to fix.</summary>
    private static Exception ForOperator(Exception classified) => classified is InvalidOperationException configuration
        ? new McpFunctionsException(ErrorCode.KeyRotationUnsupported, configuration.Message + " The keys in use are unchanged.", configuration)
        : classified;

    /// <summary>Key Vault answers GET of a disabled version with 403 and inner error <c>SecretDisabled</c>.</summary>
    private static bool IsSecretDisabled(RequestFailedException ex)
    {
        if (ex.Status != 403 || ex.GetRawResponse()?.Content is not { } content)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(content.ToMemory());
            return document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("innererror", out var inner)
                && inner.ValueKind == JsonValueKind.Object
                && inner.TryGetProperty("code", out var code)
                && code.ValueKind == JsonValueKind.String
                && code.ValueEquals("SecretDisabled");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // Creation times have one-second resolution; on a tie the version id decides, so every instance agrees.
    private static bool IsNewer(DateTimeOffset? candidateCreated, string candidateVersion, DateTimeOffset? currentCreated, string currentVersion)
    {
        var candidate = candidateCreated ?? DateTimeOffset.MinValue;
        var current = currentCreated ?? DateTimeOffset.MinValue;
        return candidate != current ? candidate > current : string.CompareOrdinal(candidateVersion, currentVersion) > 0;
    }

    private sealed record FailedLoad(DateTimeOffset At, Exception Error);

    private sealed record Entry(string Version, DateTimeOffset CreatedOn, KeyEncryptionKey Key);

    /// <summary>An immutable set of loaded versions; replaced whole, so readers never lock.</summary>
    private sealed class Snapshot
    {
        private readonly Dictionary<string, Entry> byId;

        public Snapshot(IReadOnlyCollection<Entry> entries)
        {
            byId = new Dictionary<string, Entry>(entries.Count, StringComparer.Ordinal);
            Entry? current = null;
            foreach (var entry in entries)
            {
                byId[entry.Key.Id] = entry;
                if (current is null || IsNewer(entry, current))
                {
                    current = entry;
                }
            }

            Current = current ?? throw new ArgumentException("A snapshot needs at least one key.", nameof(entries));
        }

        public Entry Current { get; }

        public int Count => byId.Count;

        public Entry? Find(string keyId) => byId.GetValueOrDefault(keyId);

        public IEnumerable<Entry> NewestFirst() => byId.Values.Order(Comparer<Entry>.Create((a, b) => IsNewer(a, b) ? -1 : IsNewer(b, a) ? 1 : 0));

        public Snapshot With(Entry entry)
        {
            var entries = new List<Entry>(byId.Values.Where(e => e.Key.Id != entry.Key.Id)) { entry };
            return new Snapshot(entries);
        }

        private static bool IsNewer(Entry candidate, Entry current) =>
            KeyVaultKeyRing.IsNewer(candidate.CreatedOn, candidate.Version, current.CreatedOn, current.Version);
    }
}
