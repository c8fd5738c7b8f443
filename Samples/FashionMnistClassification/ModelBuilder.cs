using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;

namespace FashionMnistClassification;

/// <summary>Builds, trains, evaluates and saves the model, in the shape of ML.NET Model Builder's generated code.</summary>
public static class ModelBuilder
{
    /// <summary>Class names → key, a feed-forward network on the 784 pixels, key → class name.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext ml, int epochs, IProgress<EpochRecord>? progress = null) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions
            {
                HiddenLayerSizes = [256, 128],
                DropoutRate = 0.2,
                BatchSize = 128,
                LearningRate = 1e-3,
                NumberOfEpochs = epochs,
                // 10% of the training rows are held out; training stops once their accuracy has not improved for 3 epochs.
                EarlyStopping = new EarlyStoppingOptions { Patience = 3 },
                Progress = progress,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    public static ITransformer Train(IEstimator<ITransformer> pipeline, IDataView trainData) => pipeline.Fit(trainData);

    public static MulticlassClassificationMetrics Evaluate(MLContext ml, ITransformer model, IDataView testData) =>
        ml.MulticlassClassification.Evaluate(model.Transform(testData));

    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string modelPath) =>
        ml.Model.Save(model, inputSchema, modelPath);
}
