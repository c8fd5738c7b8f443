using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;

// Times the classification reports on 1,000,000 scored rows held in memory and writes the figures as JSON.
// Usage: dotnet run -c Release --project Benchmarks/MlNetDeep.Evaluators.Timing [-- --rows <n>] [--runs <n>] [--output <path>]
var rows = 1_000_000;
var runs = 5;
var output = Path.Combine("Benchmarks", "results", "classification-report-1m.json");
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--rows" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            rows = n;
            i++;
            break;
        case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r > 0:
            runs = r;
            i++;
            break;
        case "--output" when i + 1 < args.Length:
            output = args[++i];
            break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Options: --rows <n>, --runs <n>, --output <path>.");
            return 2;
    }
}

const int ClassCount = 10;
var ml = new MLContext(seed: 1);
var random = new Random(1);
var multiclass = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ => MulticlassRow.Draw(random, ClassCount)).ToArray());
var binary = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(_ => BinaryRow.Draw(random)).ToArray());

var loadAverageBefore = LoadAverage();
long multiclassRows = 0, binaryRows = 0;
var multiclassSeconds = Time(() => multiclassRows = ml.MulticlassClassification.EvaluateReport(multiclass).RowCount);
var binarySeconds = Time(() => binaryRows = ml.BinaryClassification.EvaluateReport(binary).RowCount);
var mlNetSeconds = Time(() => ml.MulticlassClassification.Evaluate(multiclass));

var result = new
{
    date = DateTime.UtcNow.ToString("yyyy-MM-dd"),
    command = "dotnet run -c Release --project Benchmarks/MlNetDeep.Evaluators.Timing",
    rows,
    classes = ClassCount,
    data = "LoadFromEnumerable over an in-memory array of scored rows (multiclass: Label key, Score vector of 10, PredictedLabel key; binary: Boolean Label, Score, Probability, PredictedLabel)",
    runs,
    multiclassReport = Summary(multiclassSeconds),
    multiclassRowsEvaluated = multiclassRows,
    binaryReport = Summary(binarySeconds),
    binaryRowsEvaluated = binaryRows,
    mlNetMulticlassEvaluate = Summary(mlNetSeconds),
    machine = new
    {
        Environment.ProcessorCount, cpu = CpuInfo("model name"), simd = SimdFlags(),
        os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        framework = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        loadAverageBefore, loadAverageAfter = LoadAverage(),
    },
};
var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, json + Environment.NewLine);
Console.WriteLine(json);
return 0;

// One warm-up run, then the timed ones.
double[] Time(Action evaluate)
{
    evaluate();
    return Enumerable.Range(0, runs).Select(_ =>
    {
        var clock = Stopwatch.StartNew();
        evaluate();
        return clock.Elapsed.TotalSeconds;
    }).ToArray();
}

static object Summary(double[] seconds)
{
    var sorted = seconds.Order().ToArray();
    return new { medianSeconds = sorted[sorted.Length / 2], minSeconds = sorted[0], maxSeconds = sorted[^1], seconds };
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";

static string CpuInfo(string key) => File.Exists("/proc/cpuinfo")
    ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
    : "unknown";

// The vector instruction sets the figures depend on, as /proc/cpuinfo names them.
static string[] SimdFlags()
{
    string[] relevant = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni"];
    var flags = CpuInfo("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
    return relevant.Where(flags.Contains).ToArray();
}

internal sealed class MulticlassRow
{
    [KeyType(10)]
    public uint Label { get; set; }

    [VectorType(10)]
    public float[] Score { get; set; } = [];

    /// <summary>The highest score's class: ML.NET's own evaluator, timed for comparison, needs the column.</summary>
    [KeyType(10)]
    public uint PredictedLabel { get; set; }

    /// <summary>Softmax probabilities of random logits that favour the label.</summary>
    public static MulticlassRow Draw(Random random, int classCount)
    {
        var label = random.Next(classCount);
        var scores = new float[classCount];
        var sum = 0f;
        for (var c = 0; c < classCount; c++)
        {
            scores[c] = MathF.Exp((float)random.NextDouble() * 3 + (c == label ? 1.5f : 0));
            sum += scores[c];
        }
        for (var c = 0; c < classCount; c++)
            scores[c] /= sum;
        return new MulticlassRow { Label = (uint)label, Score = scores, PredictedLabel = (uint)Array.IndexOf(scores, scores.Max()) };
    }
}

internal sealed class BinaryRow
{
    public bool Label { get; set; }

    public float Score { get; set; }

    public float Probability { get; set; }

    public bool PredictedLabel { get; set; }

    public static BinaryRow Draw(Random random)
    {
        var label = random.Next(2) == 1;
        var score = (float)(random.NextDouble() * 4 - 2 + (label ? 1 : -1));
        return new BinaryRow { Label = label, Score = score, Probability = 1 / (1 + MathF.Exp(-score)), PredictedLabel = score > 0 };
    }
}
