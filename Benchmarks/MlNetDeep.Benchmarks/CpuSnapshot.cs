using System.Diagnostics;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Machine-wide busy CPU time and this process's own CPU time at one moment (Linux /proc/stat), to tell how many cores other
/// processes took during a measurement: the benchmark machine is shared.
/// </summary>
internal readonly record struct CpuSnapshot(double? BusySeconds, double OwnSeconds, long Timestamp)
{
    // USER_HZ, the unit of /proc/stat, is 100 on every Linux build .NET runs on.
    private const double TicksPerSecond = 100;

    public static CpuSnapshot Take()
    {
        using var process = Process.GetCurrentProcess();
        return new CpuSnapshot(MachineBusySeconds(), process.TotalProcessorTime.TotalSeconds, Stopwatch.GetTimestamp());
    }

    /// <summary>Average cores busy with other processes since <paramref name="start"/>, or null where /proc/stat is missing.</summary>
    public double? OtherProcessesCores(CpuSnapshot start)
    {
        if (BusySeconds is not { } end || start.BusySeconds is not { } begin)
            return null;
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds;
        return Statistics.Round(Math.Max(0, end - begin - (OwnSeconds - start.OwnSeconds)) / wall);
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
