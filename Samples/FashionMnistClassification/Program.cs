using System.Diagnostics;
using FashionMnistClassification;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;

// Trains an image classifier on Fashion-MNIST, evaluates it, saves model.zip and predicts with the saved model.
// Usage: dotnet run --project Samples/FashionMnistClassification [-- --data <folder>] [--epochs <n>] [--model <path>]
const string InstalledData = "/usr/share/datasets/fashion-mnist";
string[] idxFiles = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

var usage = $"Options: --data <folder with {string.Join(", ", idxFiles)}>, --epochs <maximum epochs, default 30>, --model <path of model.zip>.";
string? dataFolder = null;
var epochs = 30;
var modelPath = Path.Combine(AppContext.BaseDirectory, "model.zip");
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

// The full data set when it is installed (apt-get install dataset-fashion-mnist), else the subset shipped beside the executable.
var embedded = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
dataFolder ??= idxFiles.All(f => File.Exists(Path.Combine(InstalledData, f))) ? InstalledData : embedded;
if (idxFiles.FirstOrDefault(f => !File.Exists(Path.Combine(dataFolder, f))) is { } missing)
{
    Console.Error.WriteLine($"'{Path.Combine(dataFolder, missing)}' does not exist; --data needs a folder with {string.Join(", ", idxFiles)}.");
    return 2;
}

// Opt in to glibc settings that keep libtorch's freed memory for reuse: convolutional training runs much faster (see README).
MlNetDeepRuntime.TuneNativeAllocator();
try
{
    var ml = new MLContext(seed: 1);
    var classNames = IdxImages.FashionMnistClassNames;
    var trainData = ml.Data.LoadIdxImages(Path.Combine(dataFolder, idxFiles[0]), Path.Combine(dataFolder, idxFiles[1]), classNames);
    var testData = ml.Data.LoadIdxImages(Path.Combine(dataFolder, idxFiles[2]), Path.Combine(dataFolder, idxFiles[3]), classNames);
    Console.WriteLine("=== Data ===");
    Console.WriteLine($"Folder:   {Path.GetFullPath(dataFolder)}{(dataFolder == embedded ? " (the subset shipped with this sample)" : "")}");
    Console.WriteLine($"Rows:     {RowCount(trainData)} training, {RowCount(testData)} test; features {trainData.Schema["Features"].Type}");

    Console.WriteLine();
    Console.WriteLine($"=== Training: convolutional network, at most {epochs} epochs ===");
    Console.WriteLine("epoch  train loss  valid. loss  valid. accuracy  learning rate  seconds");
    var history = new List<EpochRecord>();
    var progress = new EpochReporter(record =>
    {
        history.Add(record);
        Console.WriteLine($"{record.Epoch,5}  {record.TrainLoss,10:F4}  {record.ValidationLoss,11:F4}  {record.ValidationMetric,15:P2}  {record.LearningRate,13:G3}  {record.Seconds,7:F1}");
    });
    var clock = Stopwatch.StartNew();
    var options = ModelBuilder.Options(epochs);
    var model = ModelBuilder.Train(ModelBuilder.BuildPipeline(ml, options, progress), trainData);
    using var disposeModel = model as IDisposable; // frees the ONNX session behind the scorer
    var best = history.MaxBy(r => r.ValidationMetric)!;
    Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s; the model keeps epoch {best.Epoch} (best validation accuracy {best.ValidationMetric:P2}).");

    Console.WriteLine();
    Console.WriteLine("=== Evaluation on the test data ===");
    var metrics = ModelBuilder.Evaluate(ml, model, testData);
    Console.WriteLine($"Micro accuracy: {metrics.MicroAccuracy:P2}   Macro accuracy: {metrics.MacroAccuracy:P2}   Log-loss: {metrics.LogLoss:F4}");
    // MlNetDeep's report adds F1, top-k accuracy and calibration to ML.NET's metrics (MlNetDeep.Evaluators).
    var report = ml.MulticlassClassification.EvaluateReport(model.Transform(testData));
    Console.WriteLine($"Macro F1: {report.MacroF1:F4}   Top-3 accuracy: {report.TopK(3):P2}   Expected calibration error: {report.Calibration?.ExpectedCalibrationError:F4}");
    Console.WriteLine("class          precision  recall (accuracy)      F1  support");
    foreach (var c in report.PerClass)
        Console.WriteLine($"{c.Label,-13}  {c.Precision,9:P1}  {c.Recall,17:P1}  {c.F1Score,6:F3}  {c.Support,7}");

    Console.WriteLine();
    Console.WriteLine("=== Model ===");
    ModelBuilder.Save(ml, model, trainData.Schema, modelPath);
    Console.WriteLine($"Saved to {modelPath} ({new FileInfo(modelPath).Length / 1024.0:F0} KiB)");
    var reportPath = Path.Combine(Path.GetDirectoryName(modelPath)!, "report.html");
    new EvaluationReport("Fashion-MNIST: convolutional network")
        .AddTrainingHistory(history)
        .AddClassification(report, "Test data")
        .SaveHtml(reportPath);
    Console.WriteLine($"Evaluation report (training curves, per-class F1, confusion matrix, reliability diagram): {reportPath}");
    var registryFolder = Path.Combine(Path.GetDirectoryName(modelPath)!, "registry");
    var version = await ModelBuilder.RegisterAsync(registryFolder, modelPath, options, model, trainData, testData, metrics, history);
    Console.WriteLine($"Registered as {version} in {registryFolder} (models list --registry {registryFolder})");

    Console.WriteLine();
    Console.WriteLine("=== Predictions with the saved model ===");
    using var consumer = new ConsumeModel(modelPath);
    foreach (var image in ml.Data.CreateEnumerable<ModelInput>(testData, reuseRowObject: false).Take(5))
    {
        var prediction = consumer.Predict(image);
        var top = string.Join(", ", consumer.TopLabels(prediction, 3).Select(p => $"{p.Key} {p.Value:P1}"));
        Console.WriteLine($"actual {image.Label,-11}  predicted {prediction.PredictedLabel,-11}  top 3: {top}");
    }
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"Failed: {e}");
    return 1;
}

static long RowCount(IDataView data) => data.GetRowCount() ?? data.GetColumn<string>("Label").LongCount();

/// <summary>Reports each epoch as it ends, on the training thread (Progress&lt;T&gt; would post to the thread pool and print late).</summary>
sealed class EpochReporter(Action<EpochRecord> report) : IProgress<EpochRecord>
{
    public void Report(EpochRecord value) => report(value);
}
