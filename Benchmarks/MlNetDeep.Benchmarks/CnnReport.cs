namespace MlNetDeep.Benchmarks;

/// <summary>The CNN suite's JSON file: epoch time against PyTorch, test accuracy of the recipes, scoring speed.</summary>
internal sealed record CnnBenchmarkReport(
    string CommandLine,
    string? LaunchedBy,
    string[] Arguments,
    DateTimeOffset Date,
    string Suite,
    string Mode,
    MachineInfo Machine,
    CnnBenchmarkSettings Settings,
    EpochTimeResult EpochTime,
    CnnAccuracyResult Accuracy,
    ScoringResult Scoring,
    Dictionary<string, SectionTiming> Sections,
    double? LoadAverageAtEnd,
    double TotalSeconds)
{
    public void Write(string path) => ReportFile.Write(this, path);

    /// <summary>The headline figures as a table, each with its target where there is one.</summary>
    public void PrintTable(TextWriter output)
    {
        var e = EpochTime;
        var s = Scoring;
        (string Figure, string Value, string Target)[] rows =
        [
            ("trainer epoch, median", $"{e.TrainerMedianEpochSeconds:F3} s", $"rounds {string.Join(", ", e.RoundsCounted)} of {e.RoundsRun}{(e.CountedRoundsQuiet ? "" : " (none quiet)")}"),
            ("PyTorch epoch, median", e.PyTorchMedianEpochSeconds is { } p ? $"{p:F3} s" : "skipped", e.PyTorch.SkippedBecause ?? e.PyTorch.Framework ?? ""),
            ("ratio trainer / PyTorch", e.RatioTrainerToPyTorch is { } r ? $"{r:F3}" : "n/a",
                e.RatioTrainerToPyTorch is { } ratio ? Verdict($"<= {e.TargetRatio:F2}", ratio <= e.TargetRatio) : ""),
            ("test accuracy after the timed runs", $"trainer {string.Join(" ", e.TrainerTestAccuracy.Select(a => a.ToString("F4")))}",
                e.PyTorchTestAccuracy.Length > 0 ? $"PyTorch {string.Join(" ", e.PyTorchTestAccuracy.Select(a => a.ToString("F4")))}" : ""),
            RecipeRow(Accuracy.WithoutAugmentation),
            RecipeRow(Accuracy.WithAugmentation),
            ("Predict latency, in memory", $"{s.InMemory.MedianMilliseconds:F4} ms (p95 {s.InMemory.P95Milliseconds:F4})", ""),
            ("Predict latency, saved + loaded", $"{s.SavedAndLoaded.MedianMilliseconds:F4} ms (p95 {s.SavedAndLoaded.P95Milliseconds:F4})", ""),
            ("Transform, in memory / loaded", $"{s.InMemory.TransformRowsPerSecond:N0} / {s.SavedAndLoaded.TransformRowsPerSecond:N0} rows/s", ""),
        ];
        var figureWidth = rows.Max(r => r.Figure.Length) + 2;
        var valueWidth = rows.Max(r => r.Value.Length) + 2;
        output.WriteLine($"CNN (Conv 32, Conv 64, FC 128) on Fashion-MNIST, {Mode} mode, {Machine.Cores} cores, {TotalSeconds:F0} s in all");
        foreach (var (figure, value, target) in rows)
            output.WriteLine($"  {figure.PadRight(figureWidth)}{value.PadRight(valueWidth)}{target}");
        output.WriteLine("  other processes' load (cores): " + string.Join(", ", Sections.Select(p => $"{p.Key} {p.Value.OtherProcessesCores?.ToString("F2") ?? "n/a"}")));
    }

    private static (string, string, string) RecipeRow(CnnRecipeResult recipe) =>
        ($"accuracy, {recipe.Name}",
            string.Join(", ", recipe.Runs.Select(r => $"{r.TestMicroAccuracy:F4} (seed {r.Seed}, {r.EpochsTrained} epochs)")),
            Verdict($">= {recipe.TargetMicroAccuracy:F3} every seed", recipe.TargetMetByEverySeed));

    private static string Verdict(string target, bool met) => $"target {target}: {(met ? "met" : "MISSED")}";
}
