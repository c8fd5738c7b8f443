using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;

namespace FashionMnistClassification;

/// <summary>Builds, trains, evaluates and saves the model, in the shape of ML.NET Model Builder's generated code.</summary>
public static class ModelBuilder
{
    /// <summary>Class names → key, a convolutional network on the 28 × 28 images, key → class name.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext ml, int epochs, IProgress<EpochRecord> progress) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions
            {
                // The default network: Conv 32 → BN → ReLU → MaxPool, Conv 64 → BN → ReLU → MaxPool, FC 128 → Dropout → 10 classes.
                // The image shape (1 × 28 × 28) comes from the Features column; pixels are standardized inside the model.
                BatchSize = 128,
                NumberOfEpochs = epochs,
                Augmentation = new ImageAugmentation { HorizontalFlipProbability = 0.5 },
                // 10% of the training rows are held out; training stops once their accuracy has not improved for 3 epochs.
                EarlyStopping = new EarlyStoppingOptions { Patience = 3 },
            }).WithProgress(progress))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    public static ITransformer Train(IEstimator<ITransformer> pipeline, IDataView trainData) => pipeline.Fit(trainData);

    public static MulticlassClassificationMetrics Evaluate(MLContext ml, ITransformer model, IDataView testData) =>
        ml.MulticlassClassification.Evaluate(model.Transform(testData));

    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string modelPath) =>
        ml.Model.SaveSafely(model, inputSchema, modelPath);
}
