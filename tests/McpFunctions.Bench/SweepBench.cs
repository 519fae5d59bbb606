using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using McpFunctions.Adapters.Cosmos;
using McpFunctions.Adapters.KeyRing;
using McpFunctions.Core.Connections;
using McpFunctions.Core.Credentials;
using McpFunctions.Core.OAuth;
using McpFunctions.Core.Providers;
using McpFunctions.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace McpFunctions.Bench;

/// <summary>
/// <c>./bench.sh --sweep</c>: the token-refresh sweep at scale. Seeds <see cref="SweepSettings.Stored"/> OAuth connections
/// straight into Cosmos (through the product's own store and credential protector), <see cref="SweepSettings.Due"/> of
/// them due and holding a live refresh token minted at the real OAuth server (oidc-provider, rotation on); runs one
/// sweep in this process with the LocalHost's own service graph; then sweeps again with nothing due.
/// </summary>
public static class SweepBench
{
    public const string ProviderId = "bench-oauth";
    public const string Scope = "read";

    public const string OurProcess = "ours (sweep, Cosmos SDK, HttpClient)";
    public const string OAuthProcess = "OAuth server (node)";
    public const string CosmosProcess = "Cosmos server (node)";
    public const string RedisProcess = "Redis";

    /// <summary>Due and not-due connections whose stored state is checked after the sweep.</summary>
    private const int CheckedSample = 50;

    public static async Task<int> RunAsync(SweepSettings settings)
    {
        static string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
            ? v
            : throw new InvalidOperationException($"{name} is not set: run through ./bench.sh --sweep (it starts the local stack).");
        static void Say(string text) => Console.Error.WriteLine($"bench: {text}");

        Directory.CreateDirectory(Path.GetDirectoryName(settings.OutputPath)!);
        var started = DateTimeOffset.UtcNow;
        var client = new OAuthClient("mcpfunctions-bench", "secret-" + Guid.NewGuid().ToString("N"), new Uri("http://127.0.0.1:9/api/oauth/callback"));
        await using var oauth = await OAuthServer.StartAsync(new OAuthServerOptions { AccessTokenLifetime = SweepSettings.AccessTokenLifetime }, client);
        Say($"OAuth server (oidc-provider) pid {oauth.ProcessId} on {oauth.Issuer}");

        var catalogDirectory = Directory.CreateTempSubdirectory("mcpfunctions-sweep-");
        await File.WriteAllTextAsync(Path.Combine(catalogDirectory.FullName, ProviderId + ".json"), CatalogJson(oauth));
        var databaseName = "sweep-" + Guid.NewGuid().ToString("N")[..12];
        var composition = new Dictionary<string, string>
        {
            ["MCP_ENCRYPTION_KEY"] = LocalKeyRing.GenerateBase64Key(),
            ["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
            ["Auth__Issuer"] = "mcpfunctions-bench",
            ["Auth__Audience"] = "mcpfunctions",
            ["COSMOS__accountEndpoint"] = Env("COSMOS__accountEndpoint"),
            ["COSMOS__accountKey"] = Env("COSMOS__accountKey"),
            ["COSMOS__trustLoopbackCertificate"] = Environment.GetEnvironmentVariable("COSMOS__trustLoopbackCertificate") ?? "true",
            ["COSMOS__databaseName"] = databaseName,
            ["REDIS_CONNECTION_STRING"] = Env("REDIS_CONNECTION_STRING"),
            ["Providers__CatalogPath"] = catalogDirectory.FullName,
            [$"Providers__{ProviderId}__ClientId"] = client.ClientId,
            [$"Providers__{ProviderId}__ClientSecret"] = client.ClientSecret,
            ["OAuth__CallbackUrl"] = client.RedirectUri.ToString(),
            ["OAuth__ReturnUrlAllowlist__0"] = "https://chat.example/connections/done",
            ["Refresh__SweepParallelism"] = settings.Parallelism.ToString(CultureInfo.InvariantCulture),
            ["Refresh__SweepBatchSize"] = settings.BatchSize.ToString(CultureInfo.InvariantCulture),
        };

        CountingConnectionStore? counting = null;
        TimedTokenEndpoint? timed = null;
        var app = InProcessComposition.Build(composition, services =>
        {
            services.Decorate<IConnectionStore>((_, inner) => counting = new CountingConnectionStore(inner));
            services.Decorate<ITokenEndpoint>((_, inner) => timed = new TimedTokenEndpoint(inner));
        });
        try
        {
            var services = app.Services;
            var sweep = services.GetRequiredService<RefreshSweep>();
            var store = (CountingConnectionStore)services.GetRequiredService<IConnectionStore>();
            var tokens = (TimedTokenEndpoint)services.GetRequiredService<ITokenEndpoint>();
            var cosmos = services.GetRequiredService<CosmosConnectionStore>();
            var protector = services.GetRequiredService<CredentialProtector>();
            var oauthSettings = services.GetRequiredService<ProviderCatalog>().TryGet(ProviderId, out var provider) && provider.Auth.OAuth is { } o
                ? o
                : throw new InvalidOperationException($"The catalog file did not define the OAuth provider {ProviderId}.");

            var probes = new List<CpuProbe> { new(OurProcess, Environment.ProcessId), new(OAuthProcess, oauth.ProcessId) };
            foreach (var (name, variable) in new[] { (CosmosProcess, "BENCH_COSMOS_PID"), (RedisProcess, "BENCH_REDIS_PID") })
            {
                if (int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var pid) && ProcStat.CpuTime(pid) is not null)
                {
                    probes.Add(new(name, pid));
                }
            }

            // ---- seed (not part of the sweep's numbers) ----
            Say($"minting {settings.Due} refresh tokens at the OAuth server");
            var mintClock = Stopwatch.StartNew();
            var minted = await oauth.MintRefreshTokensAsync(client, settings.Due, scope: Scope);
            var mintTime = mintClock.Elapsed;

            Say($"seeding {settings.Stored} connections ({settings.Due} due) into database {databaseName}, {settings.SeedParallelism} at a time");
            var plan = SeedPlan.Create(settings.Stored, settings.Due, DateTimeOffset.UtcNow, oauthSettings);
            var etags = new ConcurrentDictionary<ConnectionKey, string>();
            var sampled = plan.Sample(CheckedSample).Select(s => s.Key).ToHashSet();
            var seedMeter = CpuMeter.Start(probes);
            await Parallel.ForEachAsync(plan.Seeds, new ParallelOptions { MaxDegreeOfParallelism = settings.SeedParallelism }, async (seed, ct) =>
            {
                var credential = new Credential(
                    AccessToken: "seeded-access-" + seed.Index.ToString(CultureInfo.InvariantCulture),
                    // Not-due connections get a token the server never issued: refreshing one by mistake shows as needs_reauth.
                    RefreshToken: seed.DueIndex is { } d ? minted[d] : "never-sent-" + seed.Index.ToString(CultureInfo.InvariantCulture),
                    TokenType: "Bearer");
                var connection = new Connection(
                    seed.Key,
                    AuthType.OAuth2,
                    ConnectionStatus.Active,
                    await protector.ProtectAsync(credential, seed.Key, ct),
                    ["offline_access", Scope],
                    new Dictionary<string, string>(),
                    ConnectedAt: plan.Now.AddDays(-1),
                    ExpiresAt: seed.ExpiresAt,
                    RefreshAfter: seed.RefreshAfter,
                    LastRefreshedAt: seed.ExpiresAt - SweepSettings.AccessTokenLifetime);
                var created = await cosmos.TryCreateAsync(connection, ct)
                    ?? throw new InvalidOperationException($"Seed {seed.Index} already exists.");
                if (sampled.Contains(seed.Key))
                {
                    etags[seed.Key] = created.ETag;
                }
            });
            var seeding = seedMeter.Stop();
            Say($"  seeded in {seeding.Wall.TotalSeconds:0.0} s ({settings.Stored / seeding.Wall.TotalSeconds:0} docs/s)");

            // ---- the sweep with work to do: first in a cold process, then again warm ----
            var busy = new List<BusySweep>();
            foreach (var label in new[] { BusySweep.Cold, BusySweep.Warm })
            {
                if (label == BusySweep.Warm)
                {
                    // The same connections due again, now holding the rotated tokens the first sweep stored (not measured).
                    await MakeDueAgainAsync(plan, store, settings.SeedParallelism);
                }

                var tokensBefore = await DueTokensAsync(plan, store, protector);
                await oauth.ResetStatsAsync();
                Say($"sweep ({label}): {settings.Due} due of {settings.Stored}, parallelism {settings.Parallelism}, batch {settings.BatchSize}");
                var from = MonotonicSeconds();
                var run = await MeasureAsync(sweep, store, tokens, probes);
                var to = MonotonicSeconds();
                var stats = await oauth.StatsAsync();
                Say($"  {run.Report.Refreshed} refreshed in {run.Window.Wall.TotalSeconds:0.00} s ({run.Report.Refreshed / run.Window.Wall.TotalSeconds:0} /s), "
                    + $"{run.Store.QueryWait.TotalSeconds:0.00} s of it in {run.Store.Queries} queries; "
                    + $"OAuth server: {stats.RefreshTokenGrants} refresh grants, {stats.RefreshTokenReuses} reuses, {stats.GrantErrors} errors; "
                    + $"CLOCK_MONOTONIC {from:0.000}-{to:0.000} s (to cut a `perf record --clockid monotonic` profile)");
                var check = await CheckAsync(plan, etags, tokensBefore, store, protector);
                Say($"  stored state: {check}");
                busy.Add(new BusySweep(label, run, stats, check));
            }

            // ---- sweeps with nothing due ----
            var idle = new List<SweepRun>();
            for (var i = 0; i < settings.IdleSweeps; i++)
            {
                idle.Add(await MeasureAsync(sweep, store, tokens, probes));
            }

            Say($"  idle sweeps: {string.Join(", ", idle.Select(r => $"{r.Window.Wall.TotalMilliseconds:0.0} ms/{r.Store.Queries} q/{r.Store.PointReads} reads"))}");

            var results = new SweepResults
            {
                Started = started,
                Machine = await Machine.DescribeAsync(),
                Settings = settings,
                MintTime = mintTime,
                Seeding = seeding,
                Busy = busy,
                Idle = idle,
            };
            var markdown = results.Render();
            await File.WriteAllTextAsync(settings.OutputPath, markdown);
            Console.Out.Write(markdown);
            Say($"results written to {settings.OutputPath}");

            try
            {
                var container = await services.GetRequiredService<CosmosContainers>().ConnectionsAsync(CancellationToken.None);
                using var _ = await container.Database.DeleteStreamAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Say($"could not delete database {databaseName}: {ex.Message}");
            }

            return results.Valid ? 0 : 1;
        }
        finally
        {
            await app.DisposeAsync();
            catalogDirectory.Delete(recursive: true);
        }
    }

    /// <summary>Stopwatch ticks are CLOCK_MONOTONIC nanoseconds on Linux, the clock <c>perf record --clockid monotonic</c> stamps samples with.</summary>
    private static double MonotonicSeconds() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    private static async Task<SweepRun> MeasureAsync(RefreshSweep sweep, CountingConnectionStore store, TimedTokenEndpoint tokens, IReadOnlyList<CpuProbe> probes)
    {
        var (storeAtStart, tokensAtStart) = (store.Snapshot(), tokens.Snapshot());
        var (allocatedAtStart, gen0, gen1, gen2) = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var meter = CpuMeter.Start(probes);
        var report = await sweep.SweepAsync(CancellationToken.None);
        var window = meter.Stop();
        return new SweepRun(
            report,
            window,
            store.Snapshot().Minus(storeAtStart),
            tokens.Snapshot().Minus(tokensAtStart),
            GC.GetTotalAllocatedBytes() - allocatedAtStart,
            [GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2]);
    }

    /// <summary>The refresh tokens the sampled due connections hold now.</summary>
    private static async Task<Dictionary<ConnectionKey, string?>> DueTokensAsync(SeedPlan plan, IConnectionStore store, CredentialProtector protector)
    {
        var tokens = new Dictionary<ConnectionKey, string?>();
        foreach (var seed in plan.Sample(CheckedSample).Where(s => s.DueIndex is not null))
        {
            var stored = await store.ReadLatestAsync(seed.Key, CancellationToken.None) ?? throw new InvalidOperationException($"Seed {seed.Index} is gone.");
            tokens[seed.Key] = (await protector.UnprotectAsync(stored.Connection.Credential, seed.Key, CancellationToken.None)).RefreshToken;
        }

        return tokens;
    }

    private static async Task MakeDueAgainAsync(SeedPlan plan, IConnectionStore store, int parallelism)
    {
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(plan.Seeds.Where(s => s.DueIndex is not null), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (seed, ct) =>
            _ = await store.UpdateAsync(seed.Key, c => c with { RefreshAfter = now.AddMinutes(-3), ExpiresAt = now.AddMinutes(2) }, ct)
                ?? throw new InvalidOperationException($"Seed {seed.Index} is gone."));
    }

    /// <summary>A sample of due connections holds a new refresh token and is no longer due; a sample of the others is untouched since seeding.</summary>
    private static async Task<StoredCheck> CheckAsync(
        SeedPlan plan, ConcurrentDictionary<ConnectionKey, string> etags, Dictionary<ConnectionKey, string?> tokensBefore, IConnectionStore store, CredentialProtector protector)
    {
        var (rotated, untouched, problems) = (0, 0, new List<string>());
        var now = DateTimeOffset.UtcNow;
        foreach (var seed in plan.Sample(CheckedSample))
        {
            var stored = await store.ReadLatestAsync(seed.Key, CancellationToken.None);
            if (stored is null)
            {
                problems.Add($"{seed.Key.UserId}: gone");
                continue;
            }

            if (seed.DueIndex is not null)
            {
                var credential = await protector.UnprotectAsync(stored.Connection.Credential, seed.Key, CancellationToken.None);
                if (credential.RefreshToken is { } token && token != tokensBefore[seed.Key] && stored.Connection.RefreshAfter > now && stored.Connection.RefreshLease is null)
                {
                    rotated++;
                }
                else
                {
                    problems.Add($"{seed.Key.UserId}: not refreshed");
                }
            }
            else if (stored.ETag == etags[seed.Key])
            {
                untouched++;
            }
            else
            {
                problems.Add($"{seed.Key.UserId}: not due, but changed");
            }
        }

        return new StoredCheck(rotated, untouched, problems);
    }

    private static string CatalogJson(OAuthServer server) => $$"""
        {
          "id": "{{ProviderId}}",
          "displayName": "Bench OAuth (oidc-provider)",
          "auth": {
            "type": "oauth2",
            "oauth": {
              "authorizeUrl": "{{server.AuthorizeEndpoint}}",
              "tokenUrl": "{{server.TokenEndpoint}}",
              "revocation": { "url": "{{server.RevocationEndpoint}}", "style": "rfc7009" },
              "clientAuth": "client_secret_basic",
              "scopes": ["offline_access", "{{Scope}}"],
              "refreshMarginSeconds": 300
            }
          },
          "api": { "baseUrl": "{{server.Issuer}}", "authHeader": { "name": "Authorization", "value": "Bearer {token}" } },
          "tools": []
        }
        """;
}

/// <summary>One sweep as measured: its own report, the CPU window, and what it asked of the store and the token endpoint.</summary>
/// <param name="Collections">GC collections in this process during the sweep, generations 0, 1, 2.</param>
public sealed record SweepRun(
    SweepReport Report, CpuWindow Window, StoreCounts Store, TokenEndpointCounts Tokens, long AllocatedBytes, IReadOnlyList<int> Collections);

/// <summary>A sweep with work to do, what the OAuth server counted during it, and the stored state after it.</summary>
public sealed record BusySweep(string Label, SweepRun Run, OAuthStats Stats, StoredCheck Check)
{
    public const string Cold = "first sweep after start";
    public const string Warm = "second sweep, warm";
}

/// <summary>The stored state after the sweep, for a sample of connections.</summary>
public sealed record StoredCheck(int Rotated, int Untouched, IReadOnlyList<string> Problems)
{
    public override string ToString() =>
        $"{Rotated} sampled due connections refreshed, {Untouched} sampled others untouched"
        + (Problems.Count > 0 ? $"; PROBLEMS: {string.Join(", ", Problems.Take(5))}" : "");
}

/// <summary>One connection to seed. <paramref name="DueIndex"/> is its minted refresh token's index when it is due.</summary>
public sealed record Seed(int Index, ConnectionKey Key, int? DueIndex, DateTimeOffset ExpiresAt, DateTimeOffset? RefreshAfter);

/// <summary>Which of the stored connections are due: spread evenly through the users, so the due ones are not simply
/// the first documents written.</summary>
public sealed record SeedPlan(DateTimeOffset Now, IReadOnlyList<Seed> Seeds)
{
    public static SeedPlan Create(int stored, int due, DateTimeOffset now, OAuthSettings oauth)
    {
        var seeds = new List<Seed>(stored);
        var dueSoFar = 0;
        for (var i = 0; i < stored; i++)
        {
            // Due: the access token expires within the refresh margin. Not due: it expires 30-80 minutes from now.
            var isDue = dueSoFar < due && (long)i * due / stored >= dueSoFar;
            var expiresAt = isDue ? now.AddMinutes(2) : now.AddMinutes(30 + (i % 50));
            var key = new ConnectionKey("bench", "user-" + i.ToString("D6", CultureInfo.InvariantCulture), SweepBench.ProviderId, ConnectionKey.DefaultAccount);
            seeds.Add(new Seed(i, key, isDue ? dueSoFar++ : null, expiresAt, RefreshSettings.RefreshAfter(now, expiresAt, null, true, oauth)));
        }

        return new SeedPlan(now, seeds);
    }

    /// <summary>Up to <paramref name="perKind"/> due and as many not-due seeds, spread over the whole plan.</summary>
    public IEnumerable<Seed> Sample(int perKind) =>
        Pick(Seeds.Where(s => s.DueIndex is not null).ToList(), perKind).Concat(Pick(Seeds.Where(s => s.DueIndex is null).ToList(), perKind));

    private static IEnumerable<Seed> Pick(List<Seed> seeds, int count) =>
        seeds.Count <= count ? seeds : Enumerable.Range(0, count).Select(i => seeds[i * seeds.Count / count]);
}
