using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;
using MlNetDeep.Registry;
using MlNetDeep.Registry.Sqlite;
using MlNetDeep.Registry.Training;

namespace FashionMnistClassification;

/// <summary>Builds, trains, evaluates and saves the model, in the shape of ML.NET Model Builder's generated code.</summary>
public static class ModelBuilder
{
    /// <summary>The trainer's options.</summary>
    public static ConvolutionalNetworkOptions Options(int epochs) => new()
    {
        // The default network: Conv 32 → BN → ReLU → MaxPool, Conv 64 → BN → ReLU → MaxPool, FC 128 → Dropout → 10 classes.
        // The image shape (1 × 28 × 28) comes from the Features column; pixels are standardized inside the model.
        BatchSize = 128,
        NumberOfEpochs = epochs,
        Augmentation = new ImageAugmentation { HorizontalFlipProbability = 0.5 },
        // 10% of the training rows are held out; training stops once their accuracy has not improved for 3 epochs.
        EarlyStopping = new EarlyStoppingOptions { Patience = 3 },
    };

    /// <summary>Class names → key, a convolutional network on the 28 × 28 images, key → class name.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext ml, ConvolutionalNetworkOptions options, IProgress<EpochRecord> progress) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).WithProgress(progress))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    public static ITransformer Train(IEstimator<ITransformer> pipeline, IDataView trainData) => pipeline.Fit(trainData);

    public static MulticlassClassificationMetrics Evaluate(MLContext ml, ITransformer model, IDataView testData) =>
        ml.MulticlassClassification.Evaluate(model.Transform(testData));

    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string modelPath) =>
        ml.Model.SaveSafely(model, inputSchema, modelPath);

    /// <summary>
    /// Registers model.zip as the next version of "fashion-mnist-cnn" in the registry folder, with the options, the
    /// pipeline's steps, both data sets' fingerprints, the test metrics and the training history (list and compare
    /// versions with the `models` tool).
    /// </summary>
    public static async Task<VersionReference> RegisterAsync(string registryFolder, string modelPath, ConvolutionalNetworkOptions options,
        ITransformer model, IDataView trainData, IDataView testData, MulticlassClassificationMetrics metrics, IEnumerable<EpochRecord> history)
    {
        await using var registry = await SqliteRegistry.OpenAsync(registryFolder);
        var details = new ModelVersionDetails
        {
            Description = "Convolutional network on Fashion-MNIST",
            Pipeline = PipelineDescription.Describe(model, trainData.Schema),
            TrainingData = DataFingerprint.Compute(trainData),
            EvaluationData = DataFingerprint.Compute(testData),
        }.SetTrainerOptions(options).AddHistory(history);
        details.Metrics.Add(metrics, "test", MetricSet.ClassNamesOf(model.GetOutputSchema(testData.Schema)));
        return await registry.RegisterFileAsync("fashion-mnist-cnn", modelPath, details);
    }
}
