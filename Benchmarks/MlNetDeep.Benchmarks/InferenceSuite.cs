using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using static MlNetDeep.Benchmarks.Statistics;
using ScoringInternals = global::MlNetDeep.Scoring;

namespace MlNetDeep.Benchmarks;

/// <summary>Rows per second of one way of scoring one model, median of the passes.</summary>
internal sealed record ThroughputRun(string Model, string Path, int BatchSize, int Threads, double[] RowsPerSecondPerPass, double RowsPerSecond);

/// <summary>Peak resident memory while streaming many rows through batch scoring.</summary>
internal sealed record StreamingMemory(string Model, long FirstRows, double PeakMiBAfterFirstRows, long AllRows, double PeakMiBAfterAllRows, double Growth, double RowsPerSecond);

internal sealed record InferenceReport(
    string CommandLine,
    DateTimeOffset Date,
    string Mode,
    MachineInfo Machine,
    int TestRows,
    IReadOnlyDictionary<string, double> TestAccuracy,
    IReadOnlyList<ThroughputRun> Throughput,
    IReadOnlyDictionary<string, double> BatchedSpeedup,
    IReadOnlyDictionary<string, QuantizationReport> Quantization,
    StreamingMemory? Memory);

/// <summary>
/// <c>--suite inference</c>: fast inference on Fashion-MNIST. Bulk scoring: ML.NET's row-by-row ONNX scorer against MlNetDeep's
/// batch scoring at several batch sizes and thread counts, side by side in one run on the same saved models; then peak
/// memory while streaming millions of rows.
/// </summary>
internal static class InferenceSuite
{
    private const string Usage = "usage: dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite inference [--mode quick|full] [--stream-rows N] [--out path.json]";

    public static int Run(string[] args)
    {
        var mode = "full";
        long? streamRows = null;
        string? outPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--mode" when i + 1 < args.Length && args[i + 1] is "quick" or "full":
                    mode = args[++i];
                    break;
                case "--stream-rows" when i + 1 < args.Length && long.TryParse(args[i + 1], out var rows) && rows >= 10:
                    streamRows = rows;
                    i++;
                    break;
                case "--out" when i + 1 < args.Length:
                    outPath = args[++i];
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        var quick = mode == "quick";
        var output = Path.GetFullPath(outPath ?? Path.Combine(ProjectFolders.Results, $"inference-fashion-mnist-{mode}.json"));
        var machine = MachineInfo.Describe();
        Console.WriteLine($"{machine.Cpu}, {string.Join(' ', machine.SimdFlags)}; load {machine.LoadAverageAtStart}");

        var ml = new MLContext(seed: 1);
        var data = FashionMnist.Load(ml);
        var test = quick ? ml.Data.TakeRows(data.Test, 2000) : data.Test;
        var models = new Dictionary<string, string>();
        using var folder = new TemporaryModels();
        foreach (var (name, trainer) in Trainers(ml, quick))
        {
            Console.WriteLine($"[train {name}]");
            var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Fit(data.Train);
            var path = folder.Path(name);
            ml.Model.Save(model, data.Train.Schema, path);
            models[name] = path;
        }

        var accuracy = new Dictionary<string, double>();
        var runs = new List<ThroughputRun>();
        foreach (var (name, path) in models)
        {
            foreach (var threads in new[] { 1, 2 })
            {
                var execution = new OnnxExecutionOptions { IntraOpThreads = threads };
                var loading = new MLContext(seed: 1);
                loading.UseOnnxExecution(execution);
                var loaded = loading.Model.Load(path, out _);
                accuracy[name] = Round(loading.MulticlassClassification.Evaluate(loaded.Transform(test)).MicroAccuracy);
                runs.Add(Measure(name, "ML.NET row by row", 1, threads, loaded, test, quick));
                foreach (var batchSize in new[] { 1, 64, 1024 })
                {
                    using var batched = loading.Model.WithBatchScoring(loaded, new BatchScoringOptions { BatchSize = batchSize, Execution = execution });
                    runs.Add(Measure(name, "batch scoring", batchSize, threads, batched, test, quick));
                    runs.Add(MeasureRaw(name, batchSize, threads, loading, loaded, test, quick));
                }
                (loaded as IDisposable)?.Dispose();
            }
        }
        var speedup = runs.Where(r => r.Path == "batch scoring" && r.BatchSize == 1024)
            .ToDictionary(r => $"{r.Model}, {r.Threads} thread(s)", r => Round(r.RowsPerSecond / runs.Single(b => b.Model == r.Model && b.Threads == r.Threads && b.Path == "ML.NET row by row").RowsPerSecond));

        // Float against int8, one thread, side by side per batch size: dynamic for the MLP, static (percentile, per channel) for both.
        var quantization = new Dictionary<string, QuantizationReport>();
        var calibration = ml.Data.TakeRows(data.Train, 1000);
        foreach (var (name, path) in models)
        {
            var loaded = ml.Model.Load(path, out _);
            foreach (var quantizationMode in name == "mlp" ? new[] { QuantizationMode.Dynamic, QuantizationMode.Static } : [QuantizationMode.Static])
            {
                var quantized = ml.Model.Quantize(loaded, calibration, new QuantizationOptions { Mode = quantizationMode });
                var comparison = ml.Model.CompareQuantized(loaded, quantized, test, execution: new OnnxExecutionOptions { IntraOpThreads = 1 }, throughputRows: quick ? 2000 : 10000);
                Console.WriteLine($"[{name} {quantizationMode} int8]{Environment.NewLine}{comparison}");
                quantization[$"{name}, {quantizationMode}"] = comparison;
            }
        }

        var memory = StreamMemory(models["mlp"], streamRows ?? (quick ? 200_000 : 10_000_000));
        var report = new InferenceReport(Environment.CommandLine, DateTimeOffset.Now, mode, machine, (int)test.GetRowCount()!.Value, accuracy, runs, speedup, quantization, memory);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllText(output, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {output}");
        return 0;
    }

    private static IEnumerable<(string Name, IEstimator<ITransformer> Trainer)> Trainers(MLContext ml, bool quick)
    {
        var epochs = quick ? 1 : 5;
        yield return ("mlp", ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions
        {
            HiddenLayerSizes = [256, 128], NumberOfEpochs = epochs, BatchSize = 128, EarlyStopping = null, ValidationFraction = 0, Seed = 1,
        }));
        yield return ("cnn", ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions
        {
            NumberOfEpochs = quick ? 1 : 3, BatchSize = 128, EarlyStopping = null, ValidationFraction = 0, Seed = 1,
        }));
    }

    /// <summary>Reads Score of every test row, passes times after a warm-up pass; the rows/s of each pass and their median.</summary>
    private static ThroughputRun Measure(string model, string path, int batchSize, int threads, ITransformer scorer, IDataView test, bool quick)
    {
        var rows = test.GetRowCount()!.Value;
        ReadScores(scorer.Transform(test));
        var passes = Enumerable.Range(0, quick ? 2 : 3).Select(_ =>
        {
            var start = Stopwatch.GetTimestamp();
            ReadScores(scorer.Transform(test));
            return Round(rows / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }).ToArray();
        var run = new ThroughputRun(model, path, batchSize, threads, passes, Round(Median(passes)));
        Console.WriteLine($"  {model,-4} {path,-18} batch {batchSize,5}, {threads} thread(s): {run.RowsPerSecond,10:F0} rows/s");
        return run;
    }

    /// <summary>The model's batched graph in ONNX Runtime alone, on the test images already in memory: the ceiling for batch scoring.</summary>
    private static ThroughputRun MeasureRaw(string model, int batchSize, int threads, MLContext ml, ITransformer loaded, IDataView test, bool quick)
    {
        var scorer = ScoringInternals.ModelParts.Load(ml, loaded).Steps.OfType<Microsoft.ML.Transforms.Onnx.OnnxTransformer>().Single();
        var graph = ScoringInternals.BatchedGraph.TryCreate(ScoringInternals.ModelParts.OnnxBytes(ml, scorer), out var reason) ?? throw new InvalidOperationException(reason);
        using var step = new ScoringInternals.BatchedOnnxStep(scorer, graph, new OnnxExecutionOptions { IntraOpThreads = threads });
        var images = test.GetColumn<float[]>("Features").SelectMany(f => f).ToArray();
        var rows = images.Length / graph.InputSize;
        var outputs = step.NewOutputs(batchSize);
        var batch = new float[batchSize * graph.InputSize];
        void Pass()
        {
            for (var start = 0; start < rows; start += batchSize)
            {
                var count = Math.Min(batchSize, rows - start);
                Array.Copy(images, start * graph.InputSize, batch, 0, count * graph.InputSize);
                step.Run(batch, count, outputs);
            }
        }
        Pass();
        var passes = Enumerable.Range(0, quick ? 2 : 3).Select(_ =>
        {
            var start = Stopwatch.GetTimestamp();
            Pass();
            return Round(rows / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }).ToArray();
        var run = new ThroughputRun(model, "ONNX Runtime alone", batchSize, threads, passes, Round(Median(passes)));
        Console.WriteLine($"  {model,-4} {run.Path,-18} batch {batchSize,5}, {threads} thread(s): {run.RowsPerSecond,10:F0} rows/s");
        return run;
    }

    private static void ReadScores(IDataView scored)
    {
        var column = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> score = default;
        while (cursor.MoveNext())
            getter(ref score);
    }

    /// <summary>Streams synthetic images through batch scoring, resetting the peak-memory mark first: the peak after the first rows and after all of them.</summary>
    private static StreamingMemory StreamMemory(string modelPath, long rows)
    {
        var first = Math.Max(rows / 10, 1);
        Console.WriteLine($"[memory] streaming {rows} rows through batch scoring");
        var ml = new MLContext(seed: 1);
        var loaded = ml.Model.Load(modelPath, out _);
        using var batched = ml.Model.WithBatchScoring(loaded);
        var data = new SyntheticImages(rows);
        var scored = batched.Transform(data);
        var column = scored.Schema["Score"];
        GC.Collect();
        ResetPeakResident();
        var start = Stopwatch.GetTimestamp();
        double peakAfterFirst = 0;
        using (var cursor = scored.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> score = default;
            long done = 0;
            while (cursor.MoveNext())
            {
                getter(ref score);
                if (++done == first)
                    peakAfterFirst = PeakResidentMiB();
            }
        }
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var peakAfterAll = PeakResidentMiB();
        (loaded as IDisposable)?.Dispose();
        var result = new StreamingMemory("mlp", first, Round(peakAfterFirst), rows, Round(peakAfterAll), Round(peakAfterAll / peakAfterFirst - 1), Round(rows / seconds));
        Console.WriteLine($"  peak {result.PeakMiBAfterFirstRows} MiB after {first} rows, {result.PeakMiBAfterAllRows} MiB after {rows}; {result.RowsPerSecond:F0} rows/s");
        return result;
    }

    /// <summary>Writing 5 to clear_refs resets the kernel's peak resident set (VmHWM) of this process.</summary>
    private static void ResetPeakResident()
    {
        if (File.Exists("/proc/self/clear_refs"))
            File.WriteAllText("/proc/self/clear_refs", "5");
    }

    private static double PeakResidentMiB()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    private sealed class TemporaryModels : IDisposable
    {
        private readonly string folder = Directory.CreateTempSubdirectory("mlnetdeep-inference-").FullName;

        public string Path(string name) => System.IO.Path.Combine(folder, name + ".zip");

        public void Dispose() => Directory.Delete(folder, recursive: true);
    }
}
