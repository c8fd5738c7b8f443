using System.Diagnostics;

namespace MlNetDeep.Benchmarks;

/// <summary>Runs a benchmark's sections one after another, timing each and the cores other processes used meanwhile.</summary>
internal sealed class SectionTimer
{
    public Dictionary<string, SectionTiming> Timings { get; } = [];

    public T Run<T>(string name, Func<T> run)
    {
        Console.WriteLine($"[{name}]");
        var start = CpuSnapshot.Take();
        var result = run();
        var end = CpuSnapshot.Take();
        var timing = new SectionTiming(Statistics.Round(Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds), end.OtherProcessesCores(start));
        Timings[name] = timing;
        Console.WriteLine($"  {timing.Seconds:F1} s; other processes used {timing.OtherProcessesCores?.ToString("F2") ?? "n/a"} cores meanwhile");
        return result;
    }
}
