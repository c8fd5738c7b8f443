using System.Diagnostics;
using FashionMnistGeneration;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;

// Trains a variational autoencoder on Fashion-MNIST with MlNetDeep's engine, samples images into an IDataView, writes
// PNG grids, and scores the samples per epoch with MlNetDeep's FID and Inception Score against real test images, beside
// a per-pixel Gaussian baseline and the real-vs-real floor.
// Usage: dotnet run --project Samples/FashionMnistGeneration [-- --data <folder>] [--epochs <n>] [--judge-epochs <n>] [--samples <n>] [--output <folder>]
const string InstalledData = "/usr/share/datasets/fashion-mnist";
string[] idxFiles = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
var usage = "Options: --data <folder with the four Fashion-MNIST idx files>, --epochs <VAE epochs, default 10>, --judge-epochs <default 3>, --samples <images per score, default 1000>, --output <folder for the PNG grids>.";
string? dataFolder = null;
var (epochs, judgeEpochs, sampleCount) = (10, 3, 1000);
var outputFolder = AppContext.BaseDirectory;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--data" when i + 1 < args.Length:
            dataFolder = args[++i];
            break;
        case "--epochs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            epochs = n;
            i++;
            break;
        case "--judge-epochs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var j) && j > 0:
            judgeEpochs = j;
            i++;
            break;
        case "--samples" when i + 1 < args.Length && int.TryParse(args[i + 1], out var s) && s >= 20:
            sampleCount = s;
            i++;
            break;
        case "--output" when i + 1 < args.Length:
            outputFolder = Path.GetFullPath(args[++i]);
            break;
        case "--help" or "-h":
            Console.WriteLine(usage);
            return 0;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. {usage}");
            return 2;
    }
}
var embedded = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
dataFolder ??= idxFiles.All(f => File.Exists(Path.Combine(InstalledData, f))) ? InstalledData : embedded;
if (idxFiles.FirstOrDefault(f => !File.Exists(Path.Combine(dataFolder, f))) is { } missing)
{
    Console.Error.WriteLine($"'{Path.Combine(dataFolder, missing)}' does not exist; --data needs a folder with {string.Join(", ", idxFiles)}.");
    return 2;
}
Directory.CreateDirectory(outputFolder);
MlNetDeepRuntime.TuneNativeAllocator();

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadIdxImages(Path.Combine(dataFolder, idxFiles[0]), Path.Combine(dataFolder, idxFiles[1]), IdxImages.FashionMnistClassNames);
var test = ml.Data.LoadIdxImages(Path.Combine(dataFolder, idxFiles[2]), Path.Combine(dataFolder, idxFiles[3]), IdxImages.FashionMnistClassNames);
var testImages = test.GetColumn<float[]>("Features").ToArray();
sampleCount = Math.Min(sampleCount, testImages.Length / 2);
Console.WriteLine("=== Data ===");
Console.WriteLine($"Folder: {Path.GetFullPath(dataFolder)}{(dataFolder == embedded ? " (the subset shipped with this sample)" : "")}");
Console.WriteLine($"Rows:   {train.GetColumn<float[]>("Features").Count()} training, {testImages.Length} test; {sampleCount} images per score");

var clock = Stopwatch.StartNew();
Console.WriteLine();
Console.WriteLine($"=== Judge: a CNN classifier on the training images, {judgeEpochs} epochs ===");
var judge = ModelBuilder.TrainJudge(ml, train, judgeEpochs);
var testAccuracy = ml.MulticlassClassification.Evaluate(judge.Classifier.Transform(ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(test))).MicroAccuracy;
Console.WriteLine($"Judge test accuracy {testAccuracy:P2} ({clock.Elapsed.TotalSeconds:F0} s)");

// Reference: the first test half. Floor: the second half against it (real against real).
var reference = ImageRows.ToDataView(ml, testImages[..sampleCount], 28, 28);
var otherHalf = ImageRows.ToDataView(ml, testImages[sampleCount..(2 * sampleCount)], 28, 28);
var referenceFeatures = ModelBuilder.Features(judge.Features, reference);
var floor = ModelBuilder.Score(ml, judge, referenceFeatures, otherHalf);
var trainImages = train.GetColumn<float[]>("Features").ToArray();
var gaussianImages = ModelBuilder.PixelGaussianSamples(trainImages, sampleCount, seed: 2);
var gaussian = ModelBuilder.Score(ml, judge, referenceFeatures, ImageRows.ToDataView(ml, gaussianImages, 28, 28));
ImageGrid.SavePng(gaussianImages[..64], 28, 28, 8, Path.Combine(outputFolder, "pixel-gaussian-samples.png"));
Console.WriteLine($"Real vs real (two test halves): FID {floor.Fid,8:F2}   IS {floor.InceptionScore.Mean:F2} ± {floor.InceptionScore.StandardDeviation:F2}");
Console.WriteLine($"Per-pixel Gaussian baseline:    FID {gaussian.Fid,8:F2}   IS {gaussian.InceptionScore.Mean:F2} ± {gaussian.InceptionScore.StandardDeviation:F2}");

Console.WriteLine();
Console.WriteLine($"=== Generator: variational autoencoder, {epochs} epochs ===");
Console.WriteLine("epoch  -ELBO (nats/image)      FID      IS  seconds");
var model = ModelBuilder.BuildGenerator(epochs).Fit(train, (record, snapshot) =>
{
    var scores = ModelBuilder.Score(ml, judge, referenceFeatures, snapshot.SampleImages(ml, sampleCount, seed: 3));
    Console.WriteLine($"{record.Epoch,5}  {record.TrainLoss,18:F2}  {scores.Fid,7:F2}  {scores.InceptionScore.Mean,6:F2}  {record.Seconds,7:F1}");
});
var gridPath = Path.Combine(outputFolder, "vae-samples.png");
ImageGrid.SavePng(model.Sample(64, seed: 4), 28, 28, 8, gridPath);
Console.WriteLine();
Console.WriteLine($"Samples: {gridPath} (the per-pixel Gaussian's beside it); whole run {clock.Elapsed.TotalSeconds:F0} s.");
return 0;
