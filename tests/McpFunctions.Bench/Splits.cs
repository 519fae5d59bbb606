using System.Diagnostics;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Http.Auth;
using McpFunctions.Http.Json;
using Microsoft.Extensions.Options;

namespace McpFunctions.Bench;

/// <summary>One step of a tools/call, timed on its own in this process with the LocalHost's own classes.</summary>
public sealed record SplitTiming(string Step, string How, IReadOnlyList<long> SortedTicks)
{
    public double MeanMs => Stats.MeanMs(SortedTicks);

    public double PercentileMs(double percentile) => Stats.PercentileMs(SortedTicks, percentile);
}

/// <summary>
/// The steps of a tools/call the HTTP runs cannot separate, timed in this process with the same code and
/// settings the LocalHost uses: the Cosmos point read (gateway mode, same local server, same serializer),
/// the credential decrypt, the JWT validation, and the conditional lastUsedAt write.
/// </summary>
public sealed class Splits : IDisposable
{
    private readonly CosmosContainers containers;
    private readonly CosmosConnectionStore store;
    private readonly CredentialProtector protector;
    private readonly CallerAuthenticator authenticator;
    private readonly ConnectionKey key;

    public Splits(CosmosOptions cosmos, string encryptionKey, AuthOptions auth, ConnectionKey key)
    {
        containers = new CosmosContainers(Options.Create(cosmos), McpJsonContext.Default.Options);
        store = new CosmosConnectionStore(containers, McpJsonContext.Default.ConnectionDocument, McpJsonContext.Default.CosmosFeedPageConnectionDocument);
        protector = new CredentialProtector(new EnvelopeEncryption(LocalKeyRing.FromBase64(encryptionKey)), McpJsonContext.Default.Credential);
        authenticator = new CallerAuthenticator(Options.Create(auth));
        this.key = key;
    }

    /// <summary>The stored connection's lastUsedAt, to count the LocalHost's writes of it during a run.</summary>
    public async Task<DateTimeOffset?> LastUsedAtAsync() =>
        (await store.ReadAsync(key, CancellationToken.None) ?? throw new InvalidOperationException("The bench connection is gone.")).Connection.LastUsedAt;

    /// <summary>A point read as a load target, to see what the local Cosmos server sustains on its own.</summary>
    public async Task<string?> PointReadAsync(CancellationToken cancellationToken) =>
        await store.ReadAsync(key, cancellationToken) is null ? "cosmos: connection not found" : null;

    public async Task<IReadOnlyList<SplitTiming>> MeasureAsync(string jwt, TimeSpan cosmosDuration)
    {
        var results = new List<SplitTiming>();
        var header = "Bearer " + jwt;
        results.Add(new("JWT validation", "CallerAuthenticator.AuthenticateAsync (HS256), 20000×", await TimeAsync(
            async () =>
            {
                if ((await authenticator.AuthenticateAsync(header)).Caller is null)
                {
                    throw new InvalidOperationException("The bench token does not validate.");
                }
            },
            warmup: 2000,
            count: 20000)));

        results.Add(new("Cosmos point read", $"CosmosConnectionStore.ReadAsync, sequential for {cosmosDuration.TotalSeconds:0} s", await TimeForAsync(
            async () => _ = await store.ReadAsync(key, CancellationToken.None) ?? throw new InvalidOperationException("The bench connection is gone."),
            warmup: 200,
            duration: cosmosDuration)));

        var stored = await store.ReadAsync(key, CancellationToken.None) ?? throw new InvalidOperationException("The bench connection is gone.");
        results.Add(new("Credential decrypt", "CredentialProtector.UnprotectAsync (AES-GCM unwrap + open + JSON), 20000×", await TimeAsync(
            async () => _ = await protector.UnprotectAsync(stored.Connection.Credential, stored.Connection.Key, CancellationToken.None),
            warmup: 2000,
            count: 20000)));

        // Last: it changes the document the LocalHost reads (its ETag and lastUsedAt).
        var etag = stored.ETag;
        var connection = stored.Connection;
        results.Add(new("lastUsedAt write", "CosmosConnectionStore.TryReplaceAsync with If-Match, sequential 300×", await TimeAsync(
            async () =>
            {
                var replaced = await store.TryReplaceAsync(connection with { LastUsedAt = DateTimeOffset.UtcNow }, etag, CancellationToken.None)
                    ?? throw new InvalidOperationException("The bench connection changed under the lastUsedAt timing.");
                etag = replaced.ETag;
            },
            warmup: 20,
            count: 300)));
        return results;
    }

    public async Task DeleteDatabaseAsync()
    {
        var container = await containers.ConnectionsAsync(CancellationToken.None);
        using var _ = await container.Database.DeleteStreamAsync();
    }

    public void Dispose() => containers.Dispose();

    private static async Task<long[]> TimeAsync(Func<Task> operation, int warmup, int count)
    {
        for (var i = 0; i < warmup; i++)
        {
            await operation();
        }

        var ticks = new long[count];
        for (var i = 0; i < count; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await operation();
            ticks[i] = Stopwatch.GetTimestamp() - t0;
        }

        Array.Sort(ticks);
        return ticks;
    }

    private static async Task<long[]> TimeForAsync(Func<Task> operation, int warmup, TimeSpan duration)
    {
        for (var i = 0; i < warmup; i++)
        {
            await operation();
        }

        var ticks = new List<long>(1 << 14);
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var t0 = Stopwatch.GetTimestamp();
            await operation();
            ticks.Add(Stopwatch.GetTimestamp() - t0);
        }

        var sorted = ticks.ToArray();
        Array.Sort(sorted);
        return sorted;
    }
}
