using System.Globalization;

namespace McpFunctions.Bench;

/// <summary>Command line: <c>[--warmup S] [--duration S] [--ping-duration S] [--callers 1,32] [--prime S] [--rounds N] [--provider-delay MS] [--out FILE] [--localhost DLL] [--peer DLL] [--host-env NAME=VALUE]...</c>.</summary>
/// <remarks><c>--prime</c> is the warm-up of the server processes before anything is measured (30 s: JIT tiering
/// of two hosts sharing 2 cores); <c>--warmup</c> precedes each run, to open its connections. The side-by-side runs
/// (direct, peer, through us) repeat <c>--rounds</c> times, interleaved, and the report takes the median, so a drift
/// of the machine hits all three alike. <c>--host-env</c> adds a setting to the LocalHost's environment, for experiments
/// (e.g. <c>Cache__ConnectionSeconds=0</c>, <c>DOTNET_gcServer=0</c>); the report lists them.</remarks>
public sealed record BenchSettings(
    TimeSpan Warmup,
    TimeSpan Duration,
    TimeSpan PingDuration,
    IReadOnlyList<int> Callers,
    TimeSpan Prime,
    int Rounds,
    TimeSpan ProviderDelay,
    string OutputPath,
    string LocalHostDll,
    string PeerDll,
    IReadOnlyList<KeyValuePair<string, string>> HostEnvironment)
{
    public static BenchSettings Parse(string[] args)
    {
        var root = RepositoryRoot();
        var settings = new BenchSettings(
            TimeSpan.FromSeconds(2),
            TimeSpan.FromSeconds(10),
            TimeSpan.FromSeconds(5),
            [1, 32],
            TimeSpan.FromSeconds(30),
            3,
            TimeSpan.FromMilliseconds(20),
            Path.Combine(root, ".run", "bench", "results.md"),
            Path.Combine(root, "functions", "McpFunctions.LocalHost", "bin", "Release", "net10.0", "McpFunctions.LocalHost.dll"),
            Path.Combine(root, "tests", "McpFunctions.BenchPeer", "bin", "Release", "net10.0", "McpFunctions.BenchPeer.dll"),
            []);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i - 1] switch
            {
                "--warmup" => settings with { Warmup = Seconds(value) },
                "--duration" => settings with { Duration = Seconds(value) },
                "--ping-duration" => settings with { PingDuration = Seconds(value) },
                "--callers" => settings with { Callers = [.. value.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))] },
                "--prime" => settings with { Prime = Seconds(value) },
                "--rounds" => settings with
                {
                    Rounds = int.TryParse(value, CultureInfo.InvariantCulture, out var rounds) && rounds is >= 1 and <= 9
                        ? rounds
                        : throw new ArgumentException("--rounds takes 1..9."),
                },
                "--provider-delay" => settings with
                {
                    ProviderDelay = int.TryParse(value, CultureInfo.InvariantCulture, out var ms) && ms is >= 0 and <= 10_000
                        ? TimeSpan.FromMilliseconds(ms)
                        : throw new ArgumentException("--provider-delay takes 0..10000 ms (0: skip the runs with provider latency)."),
                },
                "--out" => settings with { OutputPath = Path.GetFullPath(value) },
                "--localhost" => settings with { LocalHostDll = Path.GetFullPath(value) },
                "--peer" => settings with { PeerDll = Path.GetFullPath(value) },
                "--host-env" when value.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq =>
                    settings with { HostEnvironment = [.. settings.HostEnvironment, new(value[..eq], value[(eq + 1)..])] },
                var other => throw new ArgumentException($"Unknown argument {other}."),
            };
        }

        if (settings.Callers.Count == 0 || settings.Callers.Any(c => c is < 1 or > 1024))
        {
            throw new ArgumentException("--callers takes 1..1024, comma-separated.");
        }

        return settings;
    }

    private static TimeSpan Seconds(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s is > 0 and <= 600
            ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"'{value}' is not a number of seconds (0..600].");

    /// <summary>The directory holding McpFunctions.sln, searched upwards from the build output.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "McpFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
