using System.Diagnostics;

namespace McpFunctions.Bench;

/// <summary>Wall time, CPU time per named process and the whole machine's busy time over one measured window.</summary>
public sealed record CpuWindow(TimeSpan Wall, IReadOnlyDictionary<string, TimeSpan> Cpu, TimeSpan MachineBusy)
{
    /// <summary>CPU the machine spent on processes other than the probed ones (other agents' builds, ...).</summary>
    public TimeSpan Others => MachineBusy - Cpu.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b);
}

/// <summary>Starts a <see cref="CpuWindow"/> now; <see cref="Stop"/> ends it.</summary>
public sealed class CpuMeter
{
    private readonly IReadOnlyList<CpuProbe> probes;
    private readonly Dictionary<string, TimeSpan> start;
    private readonly TimeSpan busyAtStart;
    private readonly long startedAt;

    private CpuMeter(IReadOnlyList<CpuProbe> probes)
    {
        this.probes = probes;
        start = Read(probes);
        busyAtStart = ProcStat.MachineBusyTime();
        startedAt = Stopwatch.GetTimestamp();
    }

    public static CpuMeter Start(IReadOnlyList<CpuProbe> probes) => new(probes);

    public CpuWindow Stop()
    {
        var wall = Stopwatch.GetElapsedTime(startedAt);
        var busy = ProcStat.MachineBusyTime() - busyAtStart;
        var end = Read(probes);
        return new CpuWindow(wall, end.ToDictionary(p => p.Key, p => p.Value - start[p.Key]), busy);
    }

    private static Dictionary<string, TimeSpan> Read(IReadOnlyList<CpuProbe> probes) =>
        probes.ToDictionary(p => p.Name, p => ProcStat.CpuTime(p.Pid) ?? TimeSpan.Zero);
}
