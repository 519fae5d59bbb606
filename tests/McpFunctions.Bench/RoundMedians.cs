namespace McpFunctions.Bench;

/// <summary>One target at one number of callers over the interleaved rounds: the median of each figure, taken separately.</summary>
public sealed record RoundMedians(
    string Target,
    int Callers,
    int Rounds,
    double Throughput,
    double P50Ms,
    double P99Ms,
    IReadOnlyDictionary<string, double> CpuMsPerRequest,
    double MaxOtherCores)
{
    /// <summary>Null when the target did not run at that number of callers.</summary>
    public static RoundMedians? Of(IEnumerable<LoadResult> runs, string target, int callers)
    {
        var mine = runs.Where(r => r.Target == target && r.Concurrency == callers).ToList();
        if (mine.Count == 0)
        {
            return null;
        }

        return new RoundMedians(
            target,
            callers,
            mine.Count,
            Median(mine.Select(r => r.Throughput)),
            Median(mine.Select(r => r.PercentileMs(50))),
            Median(mine.Select(r => r.PercentileMs(99))),
            mine[0].Cpu.Keys.ToDictionary(p => p, p => Median(mine.Select(r => r.CpuMsPerRequest(p)))),
            mine.Max(r => r.OtherCores));
    }

    /// <summary>CPU milliseconds per request of the named processes together (NaN parts count as 0).</summary>
    public double CpuMs(params string[] processes) =>
        processes.Sum(p => CpuMsPerRequest.TryGetValue(p, out var ms) && !double.IsNaN(ms) ? ms : 0);

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length switch
        {
            0 => double.NaN,
            var n when n % 2 == 1 => sorted[n / 2],
            var n => (sorted[(n / 2) - 1] + sorted[n / 2]) / 2,
        };
    }
}
