using System.Diagnostics;

namespace McpFunctions.Bench;

/// <summary>One call of a target: null on success, else why the answer was wrong.</summary>
public delegate Task<string?> BenchCall(CancellationToken cancellationToken);

/// <summary>A process whose CPU time is charged to the requests of a run.</summary>
public sealed record CpuProbe(string Name, int Pid);

/// <summary>What one measured run produced.</summary>
public sealed class LoadResult
{
    public LoadResult(string target, int concurrency, long[] latencyTicks, int failures, string? firstFailure, double seconds, IReadOnlyDictionary<string, TimeSpan> cpu, TimeSpan machineBusy)
    {
        MachineBusy = machineBusy;
        Target = target;
        Concurrency = concurrency;
        Array.Sort(latencyTicks);
        LatencyTicks = latencyTicks;
        Failures = failures;
        FirstFailure = firstFailure;
        Seconds = seconds;
        Cpu = cpu;
    }

    public string Target { get; }

    public int Concurrency { get; }

    /// <summary>Which of the interleaved rounds (<see cref="BenchSettings.Rounds"/>) this run belongs to, from 1.</summary>
    public int Round { get; init; } = 1;

    /// <summary>Stopwatch ticks of each successful request, sorted.</summary>
    public IReadOnlyList<long> LatencyTicks { get; }

    public int Count => LatencyTicks.Count;

    public int Failures { get; }

    public string? FirstFailure { get; }

    /// <summary>From the start of the measured window to the last measured request's completion.</summary>
    public double Seconds { get; }

    /// <summary>CPU time each probed process used during the measured window.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Cpu { get; }

    /// <summary>Bytes this process allocated during the measured window (meaningful for in-process targets).</summary>
    public long AllocatedBytes { get; init; }

    /// <summary>CPU time the whole machine was busy during the measured window.</summary>
    public TimeSpan MachineBusy { get; }

    /// <summary>Cores' worth of CPU that processes other than the probed ones used during the window:
    /// other work on the machine, which makes the run noisy.</summary>
    public double OtherCores => Math.Max(0, (MachineBusy - Cpu.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b)).TotalSeconds / Seconds);

    public double Throughput => Count / Seconds;

    public double MeanMs => Count == 0 ? double.NaN : LatencyTicks.Average() * 1000.0 / Stopwatch.Frequency;

    /// <summary>Nearest-rank percentile in milliseconds.</summary>
    public double PercentileMs(double percentile) => Stats.PercentileMs(LatencyTicks, percentile);

    /// <summary>CPU milliseconds per measured request of one probed process.</summary>
    public double CpuMsPerRequest(string process) =>
        Cpu.TryGetValue(process, out var time) && Count > 0 ? time.TotalMilliseconds / (Count + Failures) : double.NaN;
}

public static class Stats
{
    public static double PercentileMs(IReadOnlyList<long> sortedTicks, double percentile)
    {
        if (sortedTicks.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percentile / 100.0 * sortedTicks.Count);
        return sortedTicks[Math.Clamp(rank - 1, 0, sortedTicks.Count - 1)] * 1000.0 / Stopwatch.Frequency;
    }

    public static double MeanMs(IReadOnlyList<long> ticks) => ticks.Count == 0 ? double.NaN : ticks.Average() * 1000.0 / Stopwatch.Frequency;
}

/// <summary>A closed-loop load: N callers, each sending its next request as soon as the last one answered.</summary>
/// <remarks>Warm-up and measurement run back to back on the same callers and connections. Every request
/// that starts inside the measured window is recorded, its latency from just before SendAsync to the last
/// byte of the body read and checked.</remarks>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(
        string target, int concurrency, TimeSpan warmup, TimeSpan duration, BenchCall call, IReadOnlyList<CpuProbe> probes, Action? onMeasureStart = null, int round = 1)
    {
        var frequency = Stopwatch.Frequency;
        var begin = Stopwatch.GetTimestamp();
        var measureStart = begin + (long)(warmup.TotalSeconds * frequency);
        var measureEnd = measureStart + (long)(duration.TotalSeconds * frequency);
        var failures = 0;
        string? firstFailure = null;
        var lastEnd = measureStart;
        var latencies = new List<long>[concurrency];

        // Taken by the first caller to reach the measured window (a timer task could starve behind busy callers).
        Dictionary<string, TimeSpan>? cpuAtStart = null;
        var busyAtStart = TimeSpan.Zero;
        var allocatedAtStart = 0L;
        var windowOpened = 0;
        void OpenWindow()
        {
            cpuAtStart = ReadCpu(probes);
            busyAtStart = ProcStat.MachineBusyTime();
            allocatedAtStart = GC.GetTotalAllocatedBytes();
            onMeasureStart?.Invoke();
        }

        async Task CallerAsync(int index)
        {
            var mine = latencies[index] = new List<long>(1 << 14);
            while (true)
            {
                if (Volatile.Read(ref windowOpened) == 0 && Stopwatch.GetTimestamp() >= measureStart && Interlocked.Exchange(ref windowOpened, 1) == 0)
                {
                    OpenWindow();
                }

                var t0 = Stopwatch.GetTimestamp();
                if (t0 >= measureEnd)
                {
                    break;
                }

                string? failure;
                try
                {
                    failure = await call(CancellationToken.None);
                }
                catch (Exception ex)
                {
                    failure = $"{ex.GetType().Name}: {ex.Message}";
                }

                var t1 = Stopwatch.GetTimestamp();
                if (t0 < measureStart)
                {
                    if (failure is not null)
                    {
                        // A failing warm-up means a broken setup: stop early and report it.
                        Interlocked.Increment(ref failures);
                        Interlocked.CompareExchange(ref firstFailure, "warm-up: " + failure, null);
                        return;
                    }

                    continue;
                }

                if (failure is null)
                {
                    mine.Add(t1 - t0);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstFailure, failure, null);
                }

                long seen;
                while ((seen = Interlocked.Read(ref lastEnd)) < t1 && Interlocked.CompareExchange(ref lastEnd, t1, seen) != seen)
                {
                }
            }
        }

        var callers = Enumerable.Range(0, concurrency).Select(i => Task.Run(() => CallerAsync(i))).ToArray();
        await Task.WhenAll(callers);
        if (Interlocked.Exchange(ref windowOpened, 1) == 0)
        {
            OpenWindow(); // every caller stopped during warm-up (failures): an empty window
        }

        var cpuAtEnd = ReadCpu(probes);
        var busy = ProcStat.MachineBusyTime() - busyAtStart;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedAtStart;

        var cpu = cpuAtStart!.ToDictionary(p => p.Key, p => cpuAtEnd[p.Key] - p.Value);
        var all = latencies.SelectMany(l => l ?? []).ToArray();
        var seconds = Math.Max(Stopwatch.GetElapsedTime(measureStart, lastEnd).TotalSeconds, 1e-9);
        return new LoadResult(target, concurrency, all, failures, firstFailure, seconds, cpu, busy) { AllocatedBytes = allocated, Round = round };
    }

    private static Dictionary<string, TimeSpan> ReadCpu(IReadOnlyList<CpuProbe> probes) =>
        probes.ToDictionary(p => p.Name, p => ProcStat.CpuTime(p.Pid) ?? TimeSpan.Zero);
}
