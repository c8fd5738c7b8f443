using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using static MlNetDeep.Benchmarks.Statistics;

namespace MlNetDeep.Benchmarks.SmallTables;

/// <summary>One model fitted on one seed's split of one table.</summary>
internal sealed record TableFit(int Seed, double Score, double FitSeconds, int? Epochs, double? ExpectedCalibrationError);

/// <summary>A model's fits on one table, with the mean score over seeds.</summary>
internal sealed record TableModelResult(string Model, double MeanScore, double MedianFitSeconds, TableFit[] Fits);

/// <summary>One table's results: every model side by side and the verdicts on the suite's targets.</summary>
internal sealed record TableResult(string Table, string Task, string Metric, int Rows, int Features, int? Classes, int TrainRows,
    TableModelResult[] Models, bool? BeatsScikitLearnMlp, double? GapToBestOfLinearAndLightGbm, bool? WithinReachOfBest);

/// <summary>The small-table suite's report.</summary>
internal sealed record SmallTableReport(string CommandLine, string? LaunchedBy, DateTimeOffset Date, MachineInfo Machine, string SimdFlags,
    string MlNetDeepOptions, string? ScikitLearn, string? ScikitLearnSkippedBecause, int[] Seeds, TableResult[] Tables,
    string Summary, double? LoadAverageAtEnd, double? OtherProcessesCores, double TotalSeconds);

/// <summary>
/// The small-table suite: every table of <c>Benchmarks/smalltables/data</c> (10 public tables from scikit-learn and
/// statsmodels, 150 to 20,190 rows), 5 seeds of a 75/25 split fixed by <c>export_tables.py</c>; side by side in one run:
/// MlNetDeep's FeedForward with default options, ML.NET's LightGbm with its defaults, and (through
/// <c>sklearn_baselines.py</c>, Debian's python3-sklearn) scikit-learn's MLP with its defaults and its linear model, inputs
/// standardized. Scores: test accuracy for classification, R² for regression.
/// Usage: <c>--suite small-tables [--tables a,b] [--seeds 1,2] [--models mlnetdeep,lightgbm,sklearn] [--options json] [--out path]</c>.
/// </summary>
internal static class SmallTableSuite
{
    private const string Python = "/usr/bin/python3";

    public static int Run(string[] args)
    {
        var tables = Argument(args, "--tables")?.Split(',');
        var seeds = Argument(args, "--seeds")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() ?? [1, 2, 3, 4, 5];
        var models = Argument(args, "--models")?.Split(',') ?? ["mlnetdeep", "lightgbm", "sklearn"];
        var optionsJson = Argument(args, "--options");
        var output = Path.GetFullPath(Argument(args, "--out") ?? Path.Combine(ProjectFolders.Results, "small-tables.json"));

        var watch = Stopwatch.StartNew();
        var start = CpuSnapshot.Take();
        var machine = MachineInfo.Describe();
        var selected = SmallTable.LoadAll().Where(t => tables is null || tables.Contains(t.Name)).ToArray();
        var (scikitLearn, skippedBecause, pythonResults) = models.Contains("sklearn")
            ? ScikitLearnColumns(selected, seeds)
            : (null, "not asked for (--models)", []);
        if (skippedBecause is not null)
            Console.WriteLine($"scikit-learn columns skipped: {skippedBecause}");

        var results = new List<TableResult>();
        foreach (var table in selected)
        {
            var metric = table.IsRegression ? "R²" : "accuracy";
            var modelResults = new List<TableModelResult>();
            if (models.Contains("mlnetdeep"))
                modelResults.Add(Result("MlNetDeep FeedForward", seeds.Select(seed => FitMlNetDeep(table, seed, optionsJson)).ToArray()));
            if (models.Contains("lightgbm"))
                modelResults.Add(Result("ML.NET LightGbm", seeds.Select(seed => FitLightGbm(table, seed)).ToArray()));
            foreach (var (model, name) in new[] { ("mlp", "scikit-learn MLP"), ("linear", table.IsRegression ? "scikit-learn LinearRegression" : "scikit-learn LogisticRegression") })
            {
                var fits = pythonResults.Where(r => r.Table == table.Name && r.Model == model).Select(r => r.Fit).OrderBy(f => f.Seed).ToArray();
                if (fits.Length > 0)
                    modelResults.Add(Result(name, fits));
            }
            var result = Verdicts(table, metric, seeds, modelResults);
            results.Add(result);
            Print(result);
        }

        var end = CpuSnapshot.Take();
        var report = new SmallTableReport(Environment.CommandLine, BenchmarkReport.ParentCommandLine(), DateTimeOffset.Now, machine, SimdFlags(),
            optionsJson ?? "defaults", scikitLearn, skippedBecause, seeds, [.. results], Summarize(results), MachineInfo.LoadAverage(),
            end.OtherProcessesCores(start), Round(watch.Elapsed.TotalSeconds));
        ReportFile.Write(report, output);
        Console.WriteLine(report.Summary);
        Console.WriteLine($"Wrote {output}");
        return 0;
    }

    private static TableModelResult Result(string model, TableFit[] fits) =>
        new(model, Round(fits.Average(f => f.Score)), Round(Median(fits.Select(f => f.FitSeconds))), fits);

    private static TableFit FitMlNetDeep(SmallTable table, int seed, string? optionsJson)
    {
        var ml = new MLContext(seed);
        var (train, test, _) = table.Split(ml, seed);
        var options = optionsJson is null ? new FeedForwardOptions() : DeepTrainerOptions.FromJson<FeedForwardOptions>(optionsJson);
        options.Seed = seed;
        var watch = Stopwatch.StartNew();
        switch (table.Task)
        {
            case "multiclass":
            {
                var model = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
                    .Append(ml.MulticlassClassification.Trainers.FeedForward(options)).Fit(train);
                var seconds = watch.Elapsed.TotalSeconds;
                var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
                return new TableFit(seed, Round(accuracy), Round(seconds), model.LastTransformer.History.Count, null);
            }
            case "binary":
            {
                var model = ml.BinaryClassification.Trainers.FeedForward(options).Fit(train);
                var seconds = watch.Elapsed.TotalSeconds;
                var report = ml.BinaryClassification.EvaluateReport(model.Transform(test));
                return new TableFit(seed, Round(report.Accuracy), Round(seconds), model.History.Count, Round(report.Calibration!.ExpectedCalibrationError));
            }
            default:
            {
                var model = ml.Regression.Trainers.FeedForward(options).Fit(train);
                var seconds = watch.Elapsed.TotalSeconds;
                var r2 = ml.Regression.Evaluate(model.Transform(test)).RSquared;
                return new TableFit(seed, Round(r2), Round(seconds), model.History.Count, null);
            }
        }
    }

    private static TableFit FitLightGbm(SmallTable table, int seed)
    {
        var ml = new MLContext(seed);
        var (train, test, _) = table.Split(ml, seed);
        var watch = Stopwatch.StartNew();
        switch (table.Task)
        {
            case "multiclass":
            {
                var model = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
                    .Append(ml.MulticlassClassification.Trainers.LightGbm()).Fit(train);
                var seconds = watch.Elapsed.TotalSeconds;
                return new TableFit(seed, Round(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy), Round(seconds), null, null);
            }
            case "binary":
            {
                var model = ml.BinaryClassification.Trainers.LightGbm().Fit(train);
                var seconds = watch.Elapsed.TotalSeconds;
                var report = ml.BinaryClassification.EvaluateReport(model.Transform(test));
                return new TableFit(seed, Round(report.Accuracy), Round(seconds), null, Round(report.Calibration!.ExpectedCalibrationError));
            }
            default:
            {
                var model = ml.Regression.Trainers.LightGbm().Fit(train);
                var seconds = watch.Elapsed.TotalSeconds;
                return new TableFit(seed, Round(ml.Regression.Evaluate(model.Transform(test)).RSquared), Round(seconds), null, null);
            }
        }
    }

    /// <summary>FeedForward against scikit-learn's MLP (≥, mean of seeds), and its gap to the best of the linear model and LightGbm (target: within 0.01 accuracy or 0.03 R²).</summary>
    private static TableResult Verdicts(SmallTable table, string metric, int[] seeds, List<TableModelResult> models)
    {
        var ours = models.FirstOrDefault(m => m.Model == "MlNetDeep FeedForward");
        var mlp = models.FirstOrDefault(m => m.Model == "scikit-learn MLP");
        var strongest = models.Where(m => m.Model is "ML.NET LightGbm" || m.Model.StartsWith("scikit-learn L", StringComparison.Ordinal)).ToArray();
        var gap = ours is null || strongest.Length == 0 ? (double?)null : Round(strongest.Max(m => m.MeanScore) - ours.MeanScore);
        var reach = table.IsRegression ? 0.03 : 0.01;
        return new TableResult(table.Name, table.Task, metric, table.Rows.Length, table.FeatureNames.Length, table.Classes,
            table.Rows.Length - table.TestRowsBySeed[seeds[0]].Count(t => t), [.. models],
            ours is null || mlp is null ? null : ours.MeanScore >= mlp.MeanScore, gap, gap is null ? null : gap <= reach);
    }

    private static string Summarize(List<TableResult> results)
    {
        var compared = results.Where(r => r.BeatsScikitLearnMlp is not null).ToArray();
        var reached = results.Where(r => r.WithinReachOfBest is not null).ToArray();
        return $"FeedForward defaults ≥ scikit-learn MLP on {compared.Count(r => r.BeatsScikitLearnMlp == true)} of {compared.Length} tables; " +
            $"within 1 point of accuracy / 0.03 R² of the best of the linear model and LightGbm on {reached.Count(r => r.WithinReachOfBest == true)} of {reached.Length}.";
    }

    private static void Print(TableResult result)
    {
        Console.WriteLine($"{result.Table} ({result.Task}, {result.Rows} rows, {result.Features} features), mean {result.Metric} over {result.Models[0].Fits.Length} seeds:");
        foreach (var model in result.Models)
        {
            var epochs = model.Fits.All(f => f.Epochs is not null) ? $", epochs {string.Join('/', model.Fits.Select(f => f.Epochs))}" : "";
            var ece = model.Fits.All(f => f.ExpectedCalibrationError is not null) ? $", ECE {model.Fits.Average(f => f.ExpectedCalibrationError!.Value):F3}" : "";
            Console.WriteLine($"  {model.Model,-32} {model.MeanScore,7:F4}  (fit {model.MedianFitSeconds:F2} s{epochs}{ece}; {string.Join(' ', model.Fits.Select(f => f.Score.ToString("F3", CultureInfo.InvariantCulture)))})");
        }
    }

    /// <summary>Runs sklearn_baselines.py; without Debian's python3-sklearn the columns are skipped with the reason.</summary>
    private static (string? Version, string? SkippedBecause, List<(string Table, string Model, TableFit Fit)> Results) ScikitLearnColumns(SmallTable[] tables, int[] seeds)
    {
        var script = Path.Combine(ProjectFolders.SmallTables, "sklearn_baselines.py");
        if (!File.Exists(Python))
            return (null, $"{Python} is missing (apt-get install python3-sklearn)", []);
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", "import sklearn" })
            start.ArgumentList.Add(argument);
        using (var check = Process.Start(start)!)
        {
            check.WaitForExit();
            if (check.ExitCode != 0)
                return (null, $"{Python} cannot import sklearn (apt-get install python3-sklearn python3-pandas)", []);
        }
        var run = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { script, "--tables", string.Join(',', tables.Select(t => t.Name)), "--seeds", string.Join(',', seeds) })
            run.ArgumentList.Add(argument);
        Console.WriteLine("Running scikit-learn's models ...");
        using var process = Process.Start(run)!;
        var error = process.StandardError.ReadToEndAsync();
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed with exit code {process.ExitCode}: {error.Result}");
        using var json = JsonDocument.Parse(text);
        var results = json.RootElement.GetProperty("results").EnumerateArray().Select(r => (
            r.GetProperty("table").GetString()!, r.GetProperty("model").GetString()!,
            new TableFit(r.GetProperty("seed").GetInt32(), Round(r.GetProperty("score").GetDouble()), Round(r.GetProperty("fitSeconds").GetDouble()),
                r.GetProperty("iterations").GetInt32(), null))).ToList();
        return ($"scikit-learn {json.RootElement.GetProperty("sklearn").GetString()}", null, results);
    }

    /// <summary>The SIMD flags of the CPU that matter to the kernels (/proc/cpuinfo), or "unknown".</summary>
    public static string SimdFlags()
    {
        if (!File.Exists("/proc/cpuinfo"))
            return "unknown";
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return string.Join(' ', flags.Where(f => f is "sse4_2" or "avx" or "avx2" or "fma" || f.StartsWith("avx512", StringComparison.Ordinal)));
    }

    private static string? Argument(string[] args, string flag) =>
        Array.IndexOf(args, flag) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
