using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetDeep.Benchmarks;

/// <summary>The machine the figures come from, with the vector instruction sets that decide int8 and fp32 speed (machines of one kind differ).</summary>
internal sealed record MachineInfo(int Cores, string Cpu, string[] SimdFlags, string Os, string Runtime, double MemoryGiB, double? LoadAverageAtStart)
{
    private static readonly string[] InterestingFlags = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8"];

    public static MachineInfo Describe() => new(
        Environment.ProcessorCount,
        CpuModel(),
        SimdFlagsOf(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), 1),
        LoadAverage());

    private static string[] SimdFlagsOf()
    {
        var flags = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? []
            : [];
        return InterestingFlags.Where(flags.Contains).ToArray();
    }

    /// <summary>The one-minute load average (Linux), or null elsewhere.</summary>
    public static double? LoadAverage() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : null;

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : RuntimeInformation.ProcessArchitecture.ToString();
}

/// <summary>How long a section ran and how many cores other processes used meanwhile (the machine is shared).</summary>
internal sealed record SectionTiming(double Seconds, double? OtherProcessesCores);

internal sealed record BenchmarkReport(
    string CommandLine,
    string? LaunchedBy,
    string[] Arguments,
    DateTimeOffset Date,
    string Mode,
    MachineInfo Machine,
    BenchmarkSettings Settings,
    OverheadResult TrainerOverhead,
    DataBridgeResult DataBridge,
    AccuracyResult Accuracy,
    ScoringResult Scoring,
    MemoryResult Memory,
    Dictionary<string, SectionTiming> Sections,
    double? LoadAverageAtEnd,
    double TotalSeconds)
{
    /// <summary>The parent process's command line (Linux): the <c>dotnet run …</c> command when launched that way.</summary>
    public static string? ParentCommandLine()
    {
        if (!File.Exists("/proc/self/stat"))
            return null;
        // /proc/self/stat: "pid (name) state ppid …"; the name may hold spaces, so read after its closing parenthesis.
        var stat = File.ReadAllText("/proc/self/stat");
        var parent = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
        var commandLine = $"/proc/{parent}/cmdline";
        return File.Exists(commandLine) ? File.ReadAllText(commandLine).TrimEnd('\0').Replace('\0', ' ') : null;
    }

    public void Write(string path) => ReportFile.Write(this, path);

    /// <summary>The headline figures as a table, each with its target where there is one.</summary>
    public void PrintTable(TextWriter output)
    {
        var o = TrainerOverhead;
        var d = DataBridge;
        var a = Accuracy;
        var s = Scoring;
        var m = Memory;
        (string Figure, string Value, string Target)[] rows =
        [
            ("trainer epoch, median", $"{o.TrainerMedianEpochSeconds:F3} s", ""),
            ("plain TorchSharp epoch, median", $"{o.PlainMedianEpochSeconds:F3} s", ""),
            ("ratio trainer / plain", $"{o.RatioTrainerToPlain:F3}", Verdict("<= 1.10", o.RatioTrainerToPlain <= 1.10)),
            ($"trainer Fit wall, {o.EpochsPerRun} epochs, median", $"{Statistics.Median(o.TrainerFitWallSeconds):F2} s", ""),
            ("accuracy, library defaults", $"{a.LibraryDefaults.TestMicroAccuracy:F4} ({a.LibraryDefaults.EpochsTrained} epochs)",
                Verdict($">= {a.TargetMicroAccuracy:F3}", a.LibraryDefaults.TestMicroAccuracy >= a.TargetMicroAccuracy)),
            ("accuracy, tuned", $"{a.Tuned.TestMicroAccuracy:F4} ({a.Tuned.EpochsTrained} epochs)",
                Verdict($">= {a.TargetMicroAccuracy:F3}", a.Tuned.TestMicroAccuracy >= a.TargetMicroAccuracy)),
            ("caching pass", $"{d.CachingPassRowsPerSecond:N0} rows/s", $"bare cursor {d.CursorOnlyRowsPerSecond:N0} rows/s"),
            ("batch share of a cached epoch", $"{d.CachedDataShareOfEpoch:P1}", ""),
            ("streaming epoch, median", $"{d.StreamingMedianEpochSeconds:F3} s ({d.StreamingToCachedEpochRatio:F2}x cached)", $"batch share {d.StreamingDataShareOfEpoch:P1}"),
            ("Predict latency, in memory", $"{s.InMemory.MedianMilliseconds:F4} ms (p95 {s.InMemory.P95Milliseconds:F4})",
                Verdict($"median <= {s.TargetMedianMilliseconds} ms", s.InMemory.MedianMilliseconds <= s.TargetMedianMilliseconds)),
            ("Predict latency, saved + loaded", $"{s.SavedAndLoaded.MedianMilliseconds:F4} ms (p95 {s.SavedAndLoaded.P95Milliseconds:F4})",
                Verdict($"median <= {s.TargetMedianMilliseconds} ms", s.SavedAndLoaded.MedianMilliseconds <= s.TargetMedianMilliseconds)),
            ("Transform, in memory / loaded", $"{s.InMemory.TransformRowsPerSecond:N0} / {s.SavedAndLoaded.TransformRowsPerSecond:N0} rows/s", ""),
            ("memory drift, repeated fits", Drifts(m.RepeatedFits), m.RepeatedFits.Flat ? "flat" : "NOT FLAT"),
            ("memory drift, predictions", Drifts(m.Predictions), m.Predictions.Flat ? "flat" : "NOT FLAT"),
        ];
        var figureWidth = rows.Max(r => r.Figure.Length) + 2;
        var valueWidth = rows.Max(r => r.Value.Length) + 2;
        output.WriteLine($"MLP 784-{string.Join('-', Settings.HiddenLayerSizes)}-10 on Fashion-MNIST, {Mode} mode, {Machine.Cores} cores, {TotalSeconds:F0} s in all");
        foreach (var (figure, value, target) in rows)
            output.WriteLine($"  {figure.PadRight(figureWidth)}{value.PadRight(valueWidth)}{target}");
        output.WriteLine("  other processes' load (cores): " + string.Join(", ", Sections.Select(p => $"{p.Key} {p.Value.OtherProcessesCores?.ToString("F2") ?? "n/a"}")));
    }

    private static string Drifts(MemorySeries series) =>
        $"{series.WorkingSetDriftMiB:F1} MiB working set, {series.AnonymousResidentDriftMiB?.ToString("F1") ?? "n/a"} MiB anonymous, {series.GcHeapDriftMiB:F1} MiB GC heap";

    private static string Verdict(string target, bool met) => $"target {target}: {(met ? "met" : "MISSED")}";
}

/// <summary>Writes a report as indented camelCase JSON.</summary>
internal static class ReportFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static void Write<T>(T report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SafeFile.WriteAllText(path, JsonSerializer.Serialize(report, Json) + Environment.NewLine);
    }
}
