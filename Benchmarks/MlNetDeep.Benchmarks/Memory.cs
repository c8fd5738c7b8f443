using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML;
using static MlNetDeep.Benchmarks.Statistics;

namespace MlNetDeep.Benchmarks;

/// <summary>Memory sampled before (after warm-up) and after each step of a repeated workload; drift is the last sample minus the first.</summary>
internal sealed record MemorySeries(
    string Workload,
    string At,
    long[] Steps,
    double[] WorkingSetMiB,
    double[]? AnonymousResidentMiB,
    double[] GcHeapMiB,
    double WorkingSetDriftMiB,
    double? AnonymousResidentDriftMiB,
    double GcHeapDriftMiB,
    double ProcessPeakWorkingSetMiB,
    bool Flat);

internal sealed record MemoryResult(string Sampling, string FlatRule, MemorySeries RepeatedFits, MemorySeries Predictions);

internal static class Memory
{
    private const double FlatResidentMiB = 32;
    private const double FlatGcHeapMiB = 8;

    public static MemoryResult Run(MLContext ml, FashionMnist data, BenchmarkSettings settings, ITransformer model) => new(
        "Process.WorkingSet64, RssAnon of /proc/self/status (anonymous resident memory: heaps and tensors, without the mapped " +
        "libtorch and ONNX Runtime code that the kernel pages in and out) and GC.GetTotalMemory, after a full collection that also " +
        "runs finalizers (they free undisposed native tensors) and decommits the GC's free memory, and malloc_trim(0) (so glibc's free lists do not count)",
        $"flat when anonymous resident memory (the working set where that is unknown) drifts by at most {FlatResidentMiB} MiB " +
        $"and the GC heap by at most {FlatGcHeapMiB} MiB",
        RepeatedFits(ml, data, settings),
        Predictions(ml, data, settings, model));

    /// <summary>Short fits (one epoch on a subset), each model disposed.</summary>
    private static MemorySeries RepeatedFits(MLContext ml, FashionMnist data, BenchmarkSettings settings)
    {
        Console.WriteLine($"  {settings.MemoryWarmupFits} + {settings.MemoryFits} fits of 1 epoch on {settings.MemoryFitRows} rows");
        var subset = data.KeyedTrainHead(settings.MemoryFitRows);
        for (var fit = 0; fit < settings.MemoryWarmupFits; fit++)
            FitAndDispose();
        var samples = new List<(long Step, Sample Sample)> { (0, Sample.Take()) };
        for (var fit = 1; fit <= settings.MemoryFits; fit++)
        {
            FitAndDispose();
            samples.Add((fit, Sample.Take()));
        }
        return Series($"FeedForward Fit, 1 epoch on {settings.MemoryFitRows} rows, model disposed", $"fits after {settings.MemoryWarmupFits} warm-up fits", samples);

        void FitAndDispose() => ml.MulticlassClassification.Trainers.FeedForward(settings.BareMlp(epochs: 1)).Fit(subset).Dispose();
    }

    /// <summary>Single-row predictions with one PredictionEngine, sampled every <see cref="BenchmarkSettings.MemorySampleEvery"/> calls.</summary>
    private static MemorySeries Predictions(MLContext ml, FashionMnist data, BenchmarkSettings settings, ITransformer model)
    {
        Console.WriteLine($"  {settings.MemoryPredictions} single-row predictions");
        var items = data.TestItems();
        using var engine = ml.Model.CreatePredictionEngine<FashionItem, FashionPrediction>(model, Scoring.KeepModel);
        for (var i = 0; i < settings.LatencyWarmupCalls; i++)
            engine.Predict(items[i % items.Length]);
        var samples = new List<(long Step, Sample Sample)> { (0, Sample.Take()) };
        for (var done = 1; done <= settings.MemoryPredictions; done++)
        {
            engine.Predict(items[done % items.Length]);
            if (done % settings.MemorySampleEvery == 0)
                samples.Add((done, Sample.Take()));
        }
        return Series($"PredictionEngine.Predict, one engine, {settings.MemoryPredictions} calls",
            $"predictions after {settings.LatencyWarmupCalls} warm-up calls", samples);
    }

    private static MemorySeries Series(string workload, string at, List<(long Step, Sample Sample)> samples)
    {
        var workingSet = samples.Select(s => Mib(s.Sample.WorkingSetBytes)).ToArray();
        var anonymous = samples.All(s => s.Sample.AnonymousResidentBytes is not null)
            ? samples.Select(s => Mib(s.Sample.AnonymousResidentBytes!.Value)).ToArray()
            : null;
        var gcHeap = samples.Select(s => Mib(s.Sample.GcHeapBytes)).ToArray();
        var workingSetDrift = Drift(workingSet);
        var anonymousDrift = anonymous is null ? default(double?) : Drift(anonymous);
        var gcHeapDrift = Drift(gcHeap);
        using var process = Process.GetCurrentProcess();
        return new MemorySeries(workload, at, samples.Select(s => s.Step).ToArray(), workingSet, anonymous, gcHeap,
            workingSetDrift, anonymousDrift, gcHeapDrift, Mib(process.PeakWorkingSet64),
            Math.Abs(anonymousDrift ?? workingSetDrift) <= FlatResidentMiB && Math.Abs(gcHeapDrift) <= FlatGcHeapMiB);

        static double Drift(double[] series) => Round(series[^1] - series[0]);
    }

    private readonly record struct Sample(long WorkingSetBytes, long? AnonymousResidentBytes, long GcHeapBytes)
    {
        public static Sample Take()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            // Aggressive also decommits the GC's free regions, which it would otherwise hand back gradually over minutes.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            var gcHeap = GC.GetTotalMemory(forceFullCollection: false);
            if (OperatingSystem.IsLinux())
                MallocTrim(0);
            using var process = Process.GetCurrentProcess();
            return new Sample(process.WorkingSet64, AnonymousResident(), gcHeap);
        }

        private static long? AnonymousResident()
        {
            const string Status = "/proc/self/status";
            // "RssAnon:	  123456 kB"
            var line = File.Exists(Status) ? File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("RssAnon:", StringComparison.Ordinal)) : null;
            return line is null ? null : long.Parse(line.Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
