using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Benchmarks;

/// <summary>One ResNet18 configuration trained on the subset: test accuracy and time per epoch.</summary>
internal sealed record ResNetRun(string Name, string Description, double TestAccuracy, double MedianEpochSeconds, double FitSeconds, int Epochs);

/// <summary>The transfer-learning comparison on one Fashion-MNIST subset: frozen backbone + head, fine-tuning, and the same network from scratch.</summary>
internal sealed record ResNetReport(string CommandLine, DateTimeOffset Date, int TrainRows, int TestRows, int Resolution, int Epochs, int Seed, double ErasingProbability, double LabelSmoothing, IReadOnlyList<ResNetRun> Runs);

/// <summary>
/// <c>--suite resnet</c>: ResNet18 on a class-balanced Fashion-MNIST subset, resized to <c>--resolution</c> inside the network
/// and expanded to three channels, with the same epoch budget, batch size, optimizer and cosine schedule for
/// (a) the pretrained backbone frozen (only the head trains), (b) fine-tuning (head first, then all stages with
/// discriminative learning rates) and (c) the same architecture from a random initialization.
/// </summary>
internal static class ResNetSuite
{
    private const string Usage = "usage: dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite resnet [--train-per-class 100] [--test-rows 2000] [--resolution 64] [--epochs 4] [--only frozen-onnx|frozen|fine-tuned|from-scratch] [--erasing P] [--label-smoothing S] [--seed N] [--threads N] [--out path.json]";

    public static int Run(string[] args)
    {
        var (perClass, testRows, resolution, epochs, seed) = (100, 2000, 64, 4, 1);
        string? outPath = null;
        string? only = null;
        int? threads = null;
        var erasing = 0.0;
        var labelSmoothing = 0.0;
        for (var i = 0; i < args.Length; i++)
        {
            var ok = i + 1 < args.Length;
            switch (args[i])
            {
                case "--train-per-class" when ok && int.TryParse(args[i + 1], out perClass):
                case "--test-rows" when ok && int.TryParse(args[i + 1], out testRows):
                case "--resolution" when ok && int.TryParse(args[i + 1], out resolution):
                case "--epochs" when ok && int.TryParse(args[i + 1], out epochs):
                case "--seed" when ok && int.TryParse(args[i + 1], out seed):
                    i++;
                    break;
                case "--out" when ok:
                    outPath = args[++i];
                    break;
                case "--only" when ok:
                    only = args[++i];
                    break;
                case "--erasing" when ok && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out erasing):
                case "--label-smoothing" when ok && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out labelSmoothing):
                    i++;
                    break;
                case "--threads" when ok && int.TryParse(args[i + 1], out var count):
                    threads = count;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        var ml = new MLContext(seed);
        var data = FashionMnist.Load(ml);
        var train = data.LabelToKey.Transform(BalancedHead(ml, data.Train, perClass));
        var test = ml.Data.TakeRows(data.LabelToKey.Transform(data.Test), testRows);
        var trainRows = (int)train.GetRowCount()!.Value;
        Console.WriteLine($"ResNet18 on {trainRows} training images ({perClass} per class) and {testRows} test images, {resolution}×{resolution}, {epochs} epochs");

        var configurations = new Dictionary<string, Func<ResNetRun>>
        {
            ["frozen-onnx"] = () => TrainFrozenOnnx(ml, BalancedHead(ml, data.Train, perClass), ml.Data.TakeRows(data.Test, testRows), epochs, seed, threads),
            ["frozen"] = () => Train(ml, train, test, "frozen", "pretrained backbone frozen, head trained",
                Options(resolution, epochs, seed, threads, erasing, labelSmoothing, o => o.FrozenStages = PretrainedResNet18Options.BackboneStages)),
            ["fine-tuned"] = () => Train(ml, train, test, "fine-tuned", "pretrained, head for 1 epoch, then all stages (learning-rate multipliers 0.1-0.7)",
                Options(resolution, epochs, seed, threads, erasing, labelSmoothing, o => o.HeadOnlyEpochs = 1)),
            ["from-scratch"] = () => Train(ml, train, test, "from scratch", "same architecture, random initialization, all layers at the full learning rate",
                Options(resolution, epochs, seed, threads, erasing, labelSmoothing, o =>
                {
                    o.UsePretrainedWeights = false;
                    o.HeadOnlyEpochs = 0;
                    o.StageLearningRateMultipliers = [1, 1, 1, 1, 1];
                })),
        };
        if (only is not null && !configurations.ContainsKey(only))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var runs = configurations.Where(c => only is null || c.Key == only).Select(c => c.Value()).ToList();

        var report = new ResNetReport(Environment.CommandLine, DateTimeOffset.Now, trainRows, testRows, resolution, epochs, seed, erasing, labelSmoothing, runs);
        var resultsFolder = typeof(ResNetSuite).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResultsFolder").Value!;
        var output = Path.GetFullPath(outPath ?? Path.Combine(resultsFolder, $"resnet-fashion-mnist-{trainRows}-{resolution}px{(only is null ? "" : "-" + only)}.json"));
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllText(output, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine();
        Console.WriteLine("| configuration | test accuracy | median epoch (s) | fit (s) |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var run in runs)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {run.Name}: {run.Description} | {run.TestAccuracy:F4} | {run.MedianEpochSeconds:F1} | {run.FitSeconds:F0} |"));
        Console.WriteLine($"Results: {output}");
        return 0;
    }

    private static PretrainedResNet18Options Options(int resolution, int epochs, int seed, int? threads, double erasing, double labelSmoothing, Action<PretrainedResNet18Options> configure)
    {
        var options = new PretrainedResNet18Options
        {
            Resolution = resolution,
            PixelMaximum = 1,
            NumberOfEpochs = epochs,
            BatchSize = 64,
            LearningRate = 1e-3,
            LearningRateSchedule = new CosineSchedule(),
            EarlyStopping = null,
            ValidationFraction = 0,
            Seed = seed,
            Augmentation = new ImageAugmentation { HorizontalFlipProbability = 0.5, ErasingProbability = erasing },
            HiddenLayerSizes = [256],
            LabelSmoothing = labelSmoothing,
            NumberOfThreads = threads,
        };
        configure(options);
        return options;
    }

    private static readonly IProgress<EpochRecord> EpochProgress =
        new Progress<EpochRecord>(r => Console.WriteLine($"  epoch {r.Epoch}: train loss {r.TrainLoss:F4}, {r.Seconds:F1} s"));

    private static ResNetRun Train(MLContext ml, IDataView train, IDataView test, string name, string description, PretrainedResNet18Options options)
    {
        Console.WriteLine($"[{name}]");
        var watch = Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.PretrainedResNet18(options).WithProgress(EpochProgress).Fit(train);
        var fitSeconds = watch.Elapsed.TotalSeconds;
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        var seconds = model.History.Select(r => r.Seconds).Order().ToArray();
        model.Dispose();
        Console.WriteLine($"  test accuracy {accuracy:F4}");
        return new ResNetRun(name, description, Statistics.Round(accuracy), Statistics.Round(seconds[seconds.Length / 2]), Statistics.Round(fitSeconds), options.NumberOfEpochs);
    }

    /// <summary>
    /// FrozenResNet18 as a user runs it: the images written as PNG files, ML.NET's image pipeline at 224 px, the packaged
    /// ONNX backbone through ML.NET's OnnxTransformer, and a head with the same size, budget and schedule as the others.
    /// </summary>
    private static ResNetRun TrainFrozenOnnx(MLContext ml, IDataView train, IDataView test, int epochs, int seed, int? threads)
    {
        Console.WriteLine("[frozen ONNX 224 px]");
        var folder = Path.Combine(Path.GetTempPath(), "mlnetdeep-resnet-suite-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (trainFiles, testFiles) = (WritePng(ml, train, Path.Combine(folder, "train")), WritePng(ml, test, Path.Combine(folder, "test")));
            var options = new FrozenResNet18Options
            {
                Head = new FeedForwardOptions
                {
                    HiddenLayerSizes = [256], DropoutRate = 0.2, NumberOfEpochs = epochs, BatchSize = 64, LearningRate = 1e-3, Seed = seed,
                    LearningRateSchedule = new CosineSchedule(), EarlyStopping = null, ValidationFraction = 0, NumberOfThreads = threads,
                },
            };
            var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.FrozenResNet18(options).WithProgress(EpochProgress));
            var watch = Stopwatch.StartNew();
            var model = pipeline.Fit(trainFiles);
            var fitSeconds = watch.Elapsed.TotalSeconds;
            var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(testFiles)).MicroAccuracy;
            var head = model.LastTransformer.LastTransformer;
            var seconds = head.History.Select(r => r.Seconds).Order().ToArray();
            head.Dispose();
            Console.WriteLine($"  test accuracy {accuracy:F4} (fit {fitSeconds:F0} s, most of it featurizing)");
            return new ResNetRun("frozen ONNX 224 px", "FrozenResNet18: PNG files, 224 px, packaged ONNX backbone in ML.NET, feed-forward head (fit includes featurizing once)",
                Statistics.Round(accuracy), Statistics.Round(seconds[seconds.Length / 2]), Statistics.Round(fitSeconds), epochs);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Writes each 28×28 image as a grayscale PNG; returns rows of ImagePath and Label.</summary>
    private static IDataView WritePng(MLContext ml, IDataView data, string folder)
    {
        Directory.CreateDirectory(folder);
        var rows = ml.Data.CreateEnumerable<LabelledImage>(data, reuseRowObject: false).Select((row, i) =>
        {
            var path = Path.Combine(folder, $"{i:D6}.png");
            using var image = SkiaSharp.SKImage.FromPixelCopy(new SkiaSharp.SKImageInfo(28, 28, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque),
                row.Features.Select(p => (byte)Math.Round(p * 255)).ToArray());
            using var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, png.ToArray());
            return new ImageFile { ImagePath = path, Label = row.Label };
        }).ToArray();
        return ml.Data.LoadFromEnumerable(rows);
    }

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }

    /// <summary>The first <paramref name="perClass"/> rows of each class, in data order.</summary>
    private static IDataView BalancedHead(MLContext ml, IDataView data, int perClass)
    {
        var counts = new Dictionary<string, int>();
        var rows = ml.Data.CreateEnumerable<LabelledImage>(data, reuseRowObject: false)
            .Where(r => (counts[r.Label] = counts.GetValueOrDefault(r.Label) + 1) <= perClass)
            .ToArray();
        var schema = SchemaDefinition.Create(typeof(LabelledImage));
        schema[nameof(LabelledImage.Features)].ColumnType = data.Schema["Features"].Type;
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private sealed class LabelledImage
    {
        public string Label { get; set; } = "";

        public float[] Features { get; set; } = [];
    }
}
