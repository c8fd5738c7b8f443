using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;
using SkiaSharp;

// Transfer learning from the ImageNet-pretrained ResNet18 on an image folder (one subfolder per class, as Model Builder
// reads them). Without --images, a Fashion-MNIST subset is first written as such a folder.
// Usage: dotnet run --project Samples/ResNetTransfer [-- --images <folder>] [--per-class <n>] [--resolution <px>] [--epochs <n>] [--frozen-stages <0-5>] [--model <path>]
var usage = "Options: --images <folder with one subfolder per class>, --per-class <Fashion-MNIST training images per class, default 100>, " +
            "--resolution <side, at least 32, default 64>, --epochs <default 4>, --frozen-stages <0-5, default 1>, --model <path of model.zip>.";
string? imageFolder = null;
var (perClass, resolution, epochs, frozenStages) = (100, 64, 4, 1);
var modelPath = Path.Combine(AppContext.BaseDirectory, "resnet-model.zip");
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--images" when i + 1 < args.Length:
            imageFolder = args[++i];
            break;
        case "--per-class" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            perClass = n;
            i++;
            break;
        case "--resolution" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r >= 32:
            resolution = r;
            i++;
            break;
        case "--epochs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var e) && e > 0:
            epochs = e;
            i++;
            break;
        case "--frozen-stages" when i + 1 < args.Length && int.TryParse(args[i + 1], out var f) && f is >= 0 and <= 5:
            frozenStages = f;
            i++;
            break;
        case "--model" when i + 1 < args.Length:
            modelPath = Path.GetFullPath(args[++i]);
            break;
        case "--help" or "-h":
            Console.WriteLine(usage);
            return 0;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. {usage}");
            return 2;
    }
}

MlNetDeepRuntime.TuneNativeAllocator();
try
{
    var ml = new MLContext(seed: 1);
    IDataView train, test;
    if (imageFolder is null)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "fashion-mnist-folders");
        FashionMnistFolders.Write(ml, Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist"), root, perClass, testPerClass: Math.Max(perClass / 4, 10));
        train = ml.Data.LoadImageFolder(Path.Combine(root, "train"));
        test = ml.Data.LoadImageFolder(Path.Combine(root, "test"));
        imageFolder = root;
    }
    else
    {
        var split = ml.Data.TrainTestSplit(ml.Data.LoadImageFolder(imageFolder), testFraction: 0.2, seed: 1);
        (train, test) = (split.TrainSet, split.TestSet);
    }
    Console.WriteLine("=== Data ===");
    Console.WriteLine($"Folder:     {Path.GetFullPath(imageFolder)}");
    Console.WriteLine($"Images:     {RowCount(train)} training, {RowCount(test)} test; classes: {string.Join(", ", train.GetColumn<string>("Label").Distinct())}");
    Console.WriteLine($"Resolution: {resolution}×{resolution} RGB");

    var options = new PretrainedResNet18Options
    {
        NumberOfEpochs = epochs,
        HeadOnlyEpochs = 1,
        FrozenStages = frozenStages,
        Augmentation = new ImageAugmentation { HorizontalFlipProbability = 0.5 },
    };
    var progress = new Progress<EpochRecord>(r => Console.WriteLine(
        $"{r.Epoch,5}  {r.TrainLoss,10:F4}  {r.ValidationLoss,11:F4}  {r.ValidationMetric,15:P1}  {r.Seconds,7:F1}"));
    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.Transforms.LoadImages("Image", null, "ImagePath"))
        .Append(ml.Transforms.ResizeImages("Image", resolution, resolution))
        .Append(ml.Transforms.ExtractPixels("Features", "Image"))
        .Append(ml.MulticlassClassification.Trainers.PretrainedResNet18(options).WithProgress(progress))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    Console.WriteLine();
    Console.WriteLine($"=== Training: pretrained ResNet18, head only for 1 epoch, then stages {frozenStages + 1}-5 with the head; {epochs} epochs ===");
    Console.WriteLine("epoch  train loss  valid. loss  valid. accuracy  seconds");
    var watch = Stopwatch.StartNew();
    var model = pipeline.Fit(train);
    Console.WriteLine($"Fit took {watch.Elapsed.TotalSeconds:F0} s.");

    var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
    Console.WriteLine();
    Console.WriteLine("=== Test ===");
    Console.WriteLine($"Accuracy:   {metrics.MicroAccuracy:P1} (macro {metrics.MacroAccuracy:P1}), log-loss {metrics.LogLoss:F3}");

    ml.Model.SaveSafely(model, train.Schema, modelPath);
    Console.WriteLine($"Saved:      {modelPath} ({new FileInfo(modelPath).Length / 1e6:F1} MB)");

    // Any process: plain ML.NET loads and scores it.
    var loaded = new MLContext().Model.LoadChecked(modelPath, out _);
    using (var engine = ml.Model.CreatePredictionEngine<ImageInput, ImagePrediction>(loaded))
    {
        Console.WriteLine();
        Console.WriteLine("=== Predictions of the saved model ===");
        foreach (var (path, label) in test.GetColumn<string>("ImagePath").Zip(test.GetColumn<string>("Label")).Take(5))
        {
            var prediction = engine.Predict(new ImageInput { ImagePath = path });
            Console.WriteLine($"{Path.GetFileName(path),-12} actual {label,-14} predicted {prediction.PredictedLabel,-14} ({prediction.Score.Max():P0})");
        }
    }
    return 0;
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

static long RowCount(IDataView data) => data.GetRowCount() ?? data.GetColumn<string>("Label").LongCount();

/// <summary>A row for the saved model: the image file's path (and the label column the pipeline's first step reads; unused when predicting).</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}

/// <summary>The saved model's prediction for one image.</summary>
internal sealed class ImagePrediction
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}

/// <summary>Writes the first images of each Fashion-MNIST class as PNG files in a folder per class.</summary>
internal static class FashionMnistFolders
{
    public static void Write(MLContext ml, string idxFolder, string root, int trainPerClass, int testPerClass)
    {
        WriteSplit(ml, Path.Combine(idxFolder, "train-images-idx3-ubyte.gz"), Path.Combine(idxFolder, "train-labels-idx1-ubyte.gz"), Path.Combine(root, "train"), trainPerClass);
        WriteSplit(ml, Path.Combine(idxFolder, "t10k-images-idx3-ubyte.gz"), Path.Combine(idxFolder, "t10k-labels-idx1-ubyte.gz"), Path.Combine(root, "test"), testPerClass);
    }

    private static void WriteSplit(MLContext ml, string images, string labels, string folder, int perClass)
    {
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        var data = ml.Data.LoadIdxImages(images, labels, IdxImages.FashionMnistClassNames);
        var written = new Dictionary<string, int>();
        foreach (var (label, pixels) in data.GetColumn<string>("Label").Zip(data.GetColumn<float[]>("Features")))
        {
            var count = written.GetValueOrDefault(label);
            if (count >= perClass)
                continue;
            var classFolder = Path.Combine(folder, label.Replace('/', '-'));
            Directory.CreateDirectory(classFolder);
            using var image = SKImage.FromPixelCopy(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque), pixels.Select(p => (byte)Math.Round(p * 255)).ToArray());
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(classFolder, $"{count:D5}.png"), png.ToArray());
            written[label] = count + 1;
        }
    }
}
