using System.Diagnostics;
using Microsoft.ML;

namespace MlNetDeep.Benchmarks;

/// <summary>The MLP suite: the FeedForward trainer (MLP 784-256-128-10) against a plain TorchSharp loop, data bridge, accuracy, scoring, memory.</summary>
internal static class MlpSuite
{
    public static void Run(string[] args, string mode, string output)
    {
        var settings = BenchmarkSettings.For(mode);
        var date = DateTimeOffset.Now;
        var machine = MachineInfo.Describe();
        var total = Stopwatch.StartNew();
        var sections = new SectionTimer();
        var ml = new MLContext(settings.Seed);

        var data = sections.Run("loadingData", () => FashionMnist.Load(ml));
        var (overhead, cachedFits) = sections.Run("trainerOverhead", () => TrainerOverhead.Run(ml, data.KeyedTrain, settings));
        var dataBridge = sections.Run("dataBridge", () => DataBridge.Run(ml, data.KeyedTrain, overhead.Rows, settings, cachedFits));
        var (accuracy, tunedModel) = sections.Run("accuracy", () => Accuracy.Run(ml, data, settings));
        using (tunedModel)
        {
            var scoring = sections.Run("scoring", () => Scoring.Run(ml, data, settings.ScoringPlan(), tunedModel));
            var memory = sections.Run("memory", () => Memory.Run(ml, data, settings, tunedModel));
            var report = new BenchmarkReport(Environment.CommandLine, BenchmarkReport.ParentCommandLine(), args, date, mode, machine, settings, overhead, dataBridge, accuracy, scoring, memory,
                sections.Timings, MachineInfo.LoadAverage(), Statistics.Round(total.Elapsed.TotalSeconds));
            report.Write(output);
            Console.WriteLine();
            report.PrintTable(Console.Out);
            Console.WriteLine($"Results: {output}");
        }
    }
}
