using System.Diagnostics;
using Microsoft.ML;

namespace MlNetDeep.Benchmarks;

/// <summary>The CNN suite: the ConvolutionalNetwork trainer's epoch time against PyTorch, test accuracy without and with augmentation, scoring speed.</summary>
internal static class CnnSuite
{
    public static void Run(string[] args, string mode, string output)
    {
        var settings = CnnBenchmarkSettings.For(mode);
        var date = DateTimeOffset.Now;
        var machine = MachineInfo.Describe();
        var total = Stopwatch.StartNew();
        var sections = new SectionTimer();
        var ml = new MLContext(settings.Seed);

        var data = sections.Run("loadingData", () => FashionMnist.Load(ml));
        var epochTime = sections.Run("epochTime", () => EpochTimeComparison.Run(ml, data, settings));
        var (accuracy, model) = sections.Run("accuracy", () => CnnAccuracy.Run(ml, data, settings));
        using (model)
        {
            var scoring = sections.Run("scoring", () => Scoring.Run(ml, data, settings.ScoringPlan(), model));
            var report = new CnnBenchmarkReport(Environment.CommandLine, BenchmarkReport.ParentCommandLine(), args, date, "cnn", mode, machine, settings,
                epochTime, accuracy, scoring, sections.Timings, MachineInfo.LoadAverage(), Statistics.Round(total.Elapsed.TotalSeconds));
            report.Write(output);
            Console.WriteLine();
            report.PrintTable(Console.Out);
            Console.WriteLine($"Results: {output}");
        }
    }
}
