using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;

namespace MlNetDeep.Benchmarks;

/// <summary>The settings one compression run used (also written to every result file).</summary>
/// <param name="TrainRows">Training rows: the first this many of Fashion-MNIST's 60,000 (the 10,000 test images are always all used).</param>
/// <param name="MlpEpochs">Epochs of every MLP run (pruned, dense, sparse, distilled students).</param>
/// <param name="CnnEpochs">Epochs of every CNN run from scratch (the structured part fine-tunes for half as many more).</param>
/// <param name="TeacherEpochs">Epochs of the four-convolution teacher of the distillation part.</param>
internal sealed record CompressionSettings(int TrainRows, int MlpEpochs, int CnnEpochs, int TeacherEpochs, int[] Seeds, int[] CnnSeeds, int Threads, int BatchSize)
{
    /// <summary>The pruning schedule for <paramref name="epochs"/>: start after the first fifth, final sparsity three fifths in, the rest at it.</summary>
    public (int Start, int End) Schedule(int epochs) => (1 + epochs / 5, Math.Max(1 + epochs / 5, 1 + 3 * epochs / 5));
}

/// <summary>What every compression result file carries besides its figures: the command, the machine and its load, the settings.</summary>
internal sealed record CompressionContext(string CommandLine, DateTimeOffset Date, MachineInfo Machine, string CpuFlags, CompressionSettings Settings);

/// <summary>
/// <c>--suite compression</c>: pruning (unstructured, side by side with PyTorch's <c>torch.nn.utils.prune</c>, and structured
/// with ONNX Runtime throughput), sparse training from scratch (SET, RigL) and knowledge distillation on Fashion-MNIST and
/// small public tables; one JSON file per part in Benchmarks/results.
/// </summary>
internal static class CompressionSuite
{
    private const string Usage = "usage: dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite compression [--only unstructured,structured,sparse,distillation,table] [--train-rows 10000] [--mlp-epochs 8] [--cnn-epochs 4] [--teacher-epochs 4] [--seeds 1,2,3] [--cnn-seeds 1] [--threads 2] [--tag name]";

    public static int Run(string[] args)
    {
        var parts = new[] { "unstructured", "structured", "sparse", "distillation", "table" }.ToList();
        var (trainRows, mlpEpochs, cnnEpochs, teacherEpochs, threads) = (10_000, 8, 4, 4, 2);
        int[] seeds = [1, 2, 3], cnnSeeds = [1];
        var tag = "";
        for (var i = 0; i < args.Length; i++)
        {
            var ok = i + 1 < args.Length;
            switch (args[i])
            {
                case "--only" when ok:
                    parts = args[++i].Split(',').ToList();
                    break;
                case "--train-rows" when ok && int.TryParse(args[i + 1], out trainRows):
                case "--mlp-epochs" when ok && int.TryParse(args[i + 1], out mlpEpochs):
                case "--cnn-epochs" when ok && int.TryParse(args[i + 1], out cnnEpochs):
                case "--teacher-epochs" when ok && int.TryParse(args[i + 1], out teacherEpochs):
                case "--threads" when ok && int.TryParse(args[i + 1], out threads):
                    i++;
                    break;
                case "--seeds" when ok:
                    seeds = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--cnn-seeds" when ok:
                    cnnSeeds = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--tag" when ok:
                    tag = "-" + args[++i];
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        var settings = new CompressionSettings(trainRows, mlpEpochs, cnnEpochs, teacherEpochs, seeds, cnnSeeds, threads, BatchSize: 128);
        var context = new CompressionContext("dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite compression " + string.Join(' ', args),
            DateTimeOffset.UtcNow, MachineInfo.Describe(), CpuFlags(), settings);
        var ml = new MLContext(seed: 1);
        var data = FashionMnist.Load(ml);
        var train = data.KeyedTrainHead(trainRows);
        var test = data.LabelToKey.Transform(data.Test);
        foreach (var part in parts)
        {
            var watch = Stopwatch.StartNew();
            var start = CpuSnapshot.Take();
            object result = part switch
            {
                "unstructured" => PruningBenchmark.Unstructured(ml, train, test, settings),
                "structured" => PruningBenchmark.Structured(ml, train, test, settings),
                "sparse" => DistillationBenchmark.SparseTraining(ml, train, test, settings),
                "distillation" => DistillationBenchmark.FashionMnist(ml, train, test, settings),
                "table" => DistillationBenchmark.Tables(ml, settings),
                _ => throw new ArgumentException($"Unknown part '{part}'. {Usage}"),
            };
            var load = CpuSnapshot.Take().OtherProcessesCores(start);
            var path = Path.Combine(ProjectFolders.Results, $"compression-{part}{tag}.json");
            ReportFile.Write(new { Context = context, Part = part, Seconds = Math.Round(watch.Elapsed.TotalSeconds), OtherProcessesCores = load,
                LoadAverageAtEnd = MachineInfo.LoadAverage(), Result = result }, path);
            Console.WriteLine($"{part}: {watch.Elapsed.TotalMinutes:F1} min, other processes {load:F2} cores -> {path}");
        }
        return 0;
    }

    /// <summary>The SIMD flags of the CPU (AVX, AVX2, AVX-512 subsets, FMA, VNNI), from /proc/cpuinfo.</summary>
    private static string CpuFlags() =>
        File.Exists("/proc/cpuinfo")
            ? string.Join(' ', (File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1] ?? "")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(f => f.StartsWith("avx", StringComparison.Ordinal) || f is "fma" or "f16c"))
            : "";

    /// <summary>Test accuracy (ML.NET's micro-accuracy) of a fitted model.</summary>
    public static double Accuracy(MLContext ml, ITransformer model, IDataView test) =>
        Math.Round(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy, 4);

    /// <summary>The bytes of the model saved as model.zip.</summary>
    public static long ModelZipBytes(MLContext ml, ITransformer model, IDataView data)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlnetdeep-compression-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            return new FileInfo(path).Length;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static double Mean(IEnumerable<double> values) => Math.Round(values.Average(), 4);
}
