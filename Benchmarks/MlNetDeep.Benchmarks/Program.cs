using System.Diagnostics;
using System.Reflection;
using Microsoft.ML;
using MlNetDeep.Benchmarks;

const string Usage = "usage: dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --mode quick|full [--out path.json]";

if (args is ["--sequences", ..])
    return SequenceBenchmarks.Run(args[1..]);

var mode = "quick";
string? outPath = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--mode" when i + 1 < args.Length:
            mode = args[++i];
            break;
        case "--out" when i + 1 < args.Length:
            outPath = args[++i];
            break;
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
if (mode is not ("quick" or "full"))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var settings = BenchmarkSettings.For(mode);
var resultsFolder = typeof(BenchmarkSettings).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResultsFolder").Value!;
var output = Path.GetFullPath(outPath ?? Path.Combine(resultsFolder, $"mlp-fashion-mnist-{mode}.json"));
var date = DateTimeOffset.Now;
var machine = MachineInfo.Describe();
var total = Stopwatch.StartNew();
var sections = new Dictionary<string, SectionTiming>();
var ml = new MLContext(settings.Seed);

var data = Section("loadingData", () => FashionMnist.Load(ml));
var (overhead, cachedFits) = Section("trainerOverhead", () => TrainerOverhead.Run(ml, data.KeyedTrain, settings));
var dataBridge = Section("dataBridge", () => DataBridge.Run(ml, data.KeyedTrain, overhead.Rows, settings, cachedFits));
var (accuracy, tunedModel) = Section("accuracy", () => Accuracy.Run(ml, data, settings));
using (tunedModel)
{
    var scoring = Section("scoring", () => Scoring.Run(ml, data, settings, tunedModel));
    var memory = Section("memory", () => Memory.Run(ml, data, settings, tunedModel));
    var report = new BenchmarkReport(Environment.CommandLine, BenchmarkReport.ParentCommandLine(), args, date, mode, machine, settings, overhead, dataBridge, accuracy, scoring, memory,
        sections, MachineInfo.LoadAverage(), Statistics.Round(total.Elapsed.TotalSeconds));
    report.Write(output);
    Console.WriteLine();
    report.PrintTable(Console.Out);
    Console.WriteLine($"Results: {output}");
}
return 0;

T Section<T>(string name, Func<T> run)
{
    Console.WriteLine($"[{name}]");
    var start = CpuSnapshot.Take();
    var result = run();
    var end = CpuSnapshot.Take();
    var timing = new SectionTiming(Statistics.Round(Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds), end.OtherProcessesCores(start));
    sections[name] = timing;
    Console.WriteLine($"  {timing.Seconds:F1} s; other processes used {timing.OtherProcessesCores?.ToString("F2") ?? "n/a"} cores meanwhile");
    return result;
}
