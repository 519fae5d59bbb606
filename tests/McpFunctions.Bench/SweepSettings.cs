using System.Globalization;
using McpFunctions.Core.OAuth;

namespace McpFunctions.Bench;

/// <summary>Command line of <c>./bench.sh --sweep</c>: <c>[--stored N] [--due N] [--parallelism N] [--batch N]
/// [--seed-parallelism N] [--idle-sweeps N] [--out FILE]</c>.</summary>
/// <param name="Parallelism"><c>Refresh__SweepParallelism</c> for the run (default: the product's default).</param>
/// <param name="BatchSize"><c>Refresh__SweepBatchSize</c> for the run (default: the product's default).</param>
/// <param name="SeedParallelism">Concurrent document creates while seeding (not part of the sweep's numbers).</param>
/// <param name="IdleSweeps">Sweeps run after the first, when nothing is due.</param>
public sealed record SweepSettings(
    int Stored,
    int Due,
    int Parallelism,
    int BatchSize,
    int SeedParallelism,
    int IdleSweeps,
    string OutputPath)
{
    /// <summary>Access-token lifetime at the OAuth server: long enough that nothing refreshed comes due again during the run.</summary>
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromHours(1);

    public static SweepSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new SweepSettings(
            20_000,
            2_000,
            RefreshSettings.Default.SweepParallelism,
            RefreshSettings.Default.SweepBatchSize,
            32,
            10,
            Path.Combine(BenchSettings.RepositoryRoot(), ".run", "bench", "sweep.md"));
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            settings = name switch
            {
                "--stored" => settings with { Stored = Count(name, value, 1, 1_000_000) },
                "--due" => settings with { Due = Count(name, value, 1, 10_000) },
                "--parallelism" => settings with { Parallelism = Count(name, value, 1, 512) },
                "--batch" => settings with { BatchSize = Count(name, value, 1, 10_000) },
                "--seed-parallelism" => settings with { SeedParallelism = Count(name, value, 1, 512) },
                "--idle-sweeps" => settings with { IdleSweeps = Count(name, value, 1, 100) },
                "--out" => settings with { OutputPath = Path.GetFullPath(value) },
                _ => throw new ArgumentException($"Unknown argument {name} (sweep mode: --stored --due --parallelism --batch --seed-parallelism --idle-sweeps --out)."),
            };
        }

        return settings.Due > settings.Stored
            ? throw new ArgumentException("--due cannot exceed --stored.")
            : settings;
    }

    private static int Count(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} takes a whole number in {min}..{max}, not '{value}'.");
}
