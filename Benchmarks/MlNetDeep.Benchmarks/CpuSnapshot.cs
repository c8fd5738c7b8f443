using System.Diagnostics;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Machine-wide busy CPU time and this process's own CPU time at one moment (Linux /proc/stat), to tell how many cores other
/// processes took during a measurement: the benchmark machine is shared. Own time includes the child processes this one
/// has waited for (the PyTorch reference runs), so that a measured child does not count as another process.
/// </summary>
internal readonly record struct CpuSnapshot(double? BusySeconds, double OwnSeconds, long Timestamp)
{
    // USER_HZ, the unit of /proc/stat, is 100 on every Linux build .NET runs on.
    private const double TicksPerSecond = 100;

    public static CpuSnapshot Take()
    {
        using var process = Process.GetCurrentProcess();
        return new CpuSnapshot(MachineBusySeconds(), process.TotalProcessorTime.TotalSeconds + WaitedChildrenSeconds(), Stopwatch.GetTimestamp());
    }

    /// <summary>Average cores busy with other processes since <paramref name="start"/>, or null where /proc/stat is missing.</summary>
    public double? OtherProcessesCores(CpuSnapshot start)
    {
        if (BusySeconds is not { } end || start.BusySeconds is not { } begin)
            return null;
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds;
        return Statistics.Round(Math.Max(0, end - begin - (OwnSeconds - start.OwnSeconds)) / wall);
    }

    /// <summary>CPU seconds of the child processes this process has waited for (cutime + cstime of /proc/self/stat), or 0 where that is missing.</summary>
    private static double WaitedChildrenSeconds()
    {
        if (!File.Exists("/proc/self/stat"))
            return 0;
        // "pid (name) state ppid …": fields after the name's closing parenthesis start at field 3; cutime and cstime are fields 16 and 17.
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[13]) + long.Parse(fields[14])) / TicksPerSecond;
    }

    private static double? MachineBusySeconds()
    {
        if (!File.Exists("/proc/stat"))
            return null;
        // cpu user nice system idle iowait irq softirq steal ...: everything but idle and iowait is busy.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        return (fields.Take(8).Sum() - fields[3] - fields[4]) / TicksPerSecond;
    }
}
