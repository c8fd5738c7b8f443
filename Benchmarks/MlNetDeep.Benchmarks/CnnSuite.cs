using System.Diagnostics;
using System.Text.Json;
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

    /// <summary>
    /// The accuracy recipes alone on all data, each seed in turn: <paramref name="recipe"/> "widened" (both of
    /// <see cref="CnnAccuracy.Run"/>'s recipes on <see cref="CnnAccuracy.Widen"/>'s network), "widened-regularized" (<see
    /// cref="CnnAccuracy.RunWidenedRegularized"/>) or "four-convolutions" (<see cref="CnnAccuracy.RunFourConvolutions"/>).
    /// </summary>
    public static void RunAccuracyRecipe(string output, string recipe, bool augmented, int? seed, int? threads)
    {
        var settings = CnnBenchmarkSettings.For("full");
        if (seed is { } chosen)
            settings = settings with { AccuracySeeds = [chosen] };
        if (threads is { } count)
            settings = settings with { Threads = count };
        var date = DateTimeOffset.Now;
        var ml = new MLContext(settings.Seed);
        var data = FashionMnist.Load(ml);
        object accuracy;
        switch (recipe)
        {
            case "widened":
                var (both, model) = CnnAccuracy.Run(ml, data, settings, widened: true);
                model.Dispose();
                accuracy = both;
                break;
            case "widened-regularized":
                accuracy = CnnAccuracy.RunWidenedRegularized(ml, data, settings, augmented);
                break;
            case "four-convolutions":
                accuracy = CnnAccuracy.RunFourConvolutions(ml, data, settings, augmented);
                break;
            default:
                throw new ArgumentException($"Unknown CNN recipe '{recipe}'.", nameof(recipe));
        }
        var report = new { date, commandLine = Environment.CommandLine, machine = MachineInfo.Describe(), loadAverage = MachineInfo.LoadAverage(), accuracy };
        File.WriteAllText(output, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Results: {output}");
    }
}
