using System.Globalization;

namespace McpFunctions.Bench;

/// <summary>Memory and CPU time of a Linux process, read from <c>/proc/PID/status</c> and <c>/proc/PID/stat</c>.</summary>
public static class ProcStat
{
    /// <summary>USER_HZ: the unit of utime/stime in <c>/proc/PID/stat</c> (100 on every Linux we run on).</summary>
    private const double ClockTicksPerSecond = 100;

    /// <summary>Resident set size now, in bytes (VmRSS); null when the process is gone.</summary>
    public static long? RssBytes(int pid) => StatusKilobytes(pid, "VmRSS:") * 1024;

    /// <summary>Peak resident set size since start, in bytes (VmHWM); null when the process is gone.</summary>
    public static long? PeakRssBytes(int pid) => StatusKilobytes(pid, "VmHWM:") * 1024;

    /// <summary>User + system CPU time consumed so far; null when the process is gone.</summary>
    public static TimeSpan? CpuTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        // "pid (comm) state ppid ..." — comm may contain spaces, so count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Field 14 (utime) and 15 (stime) of the full line are indexes 11 and 12 after "pid (comm)".
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
    }

    /// <summary>CPU time the whole machine spent busy so far (all cores: user, nice, system, irq, softirq, steal).</summary>
    public static TimeSpan MachineBusyTime()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal ...
        long Field(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / ClockTicksPerSecond);
    }

    private static long? StatusKilobytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var value = line[field.Length..].Trim();
                    return long.Parse(value[..value.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}
