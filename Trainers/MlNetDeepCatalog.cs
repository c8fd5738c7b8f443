using Microsoft.ML;
using MlNetDeep.Tasks;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// MlNetDeep's trainers in ML.NET's catalogs: <c>ml.MulticlassClassification.Trainers.FeedForward()</c>,
/// <c>ml.BinaryClassification.Trainers.FeedForward()</c>, <c>ml.Regression.Trainers.FeedForward()</c>,
/// <c>ConvolutionalNetwork()</c> for images, and <c>CustomNetwork(...)</c> for a TorchSharp network of your own.
/// </summary>
public static partial class MlNetDeepCatalog
{
    /// <summary>A feed-forward network for multiclass classification: Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; default [256, 128].</param>
    /// <param name="numberOfEpochs">Maximum passes over the data (early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    public static DeepTrainer FeedForward(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null, int numberOfEpochs = 50, double learningRate = 1e-3) =>
        catalog.FeedForward(SimpleOptions(labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfEpochs, learningRate));

    /// <summary>A feed-forward network for multiclass classification, with all options.</summary>
    public static DeepTrainer FeedForward(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, FeedForwardOptions options) =>
        new(catalog, options, new FeedForwardArchitecture(options), MulticlassTask.Instance);

    /// <summary>A feed-forward network for binary classification: Score is the logit, Probability its sigmoid, PredictedLabel a Boolean.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; default [256, 128].</param>
    /// <param name="numberOfEpochs">Maximum passes over the data.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    public static DeepTrainer FeedForward(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null, int numberOfEpochs = 50, double learningRate = 1e-3) =>
        catalog.FeedForward(SimpleOptions(labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfEpochs, learningRate));

    /// <summary>A feed-forward network for binary classification, with all options.</summary>
    public static DeepTrainer FeedForward(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, FeedForwardOptions options) =>
        new(catalog, options, new FeedForwardArchitecture(options), BinaryTask.Instance);

    /// <summary>A feed-forward network for regression: Score is the prediction.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">A Single, Double or UInt32 label.</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; default [256, 128].</param>
    /// <param name="numberOfEpochs">Maximum passes over the data.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    public static DeepTrainer FeedForward(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null, int numberOfEpochs = 50, double learningRate = 1e-3) =>
        catalog.FeedForward(SimpleOptions(labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfEpochs, learningRate));

    /// <summary>A feed-forward network for regression, with all options.</summary>
    public static DeepTrainer FeedForward(this RegressionCatalog.RegressionTrainers catalog, FeedForwardOptions options) =>
        new(catalog, options, new FeedForwardArchitecture(options), RegressionTask.Instance);

    /// <summary>A convolutional network for image classification: Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">The image as a fixed-size Single vector, e.g. from ExtractPixels.</param>
    /// <param name="imageShape">The image shape; null to read it from the feature column's dimensions.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data (early stopping on a 10% validation split usually ends sooner).</param>
    public static DeepTrainer ConvolutionalNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", ImageShape? imageShape = null, int numberOfEpochs = 50) =>
        catalog.ConvolutionalNetwork(new ConvolutionalNetworkOptions { LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName, ImageShape = imageShape, NumberOfEpochs = numberOfEpochs });

    /// <summary>A convolutional network for image classification, with all options.</summary>
    public static DeepTrainer ConvolutionalNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, ConvolutionalNetworkOptions options) =>
        new(catalog, options, new ConvolutionalArchitecture(options), MulticlassTask.Instance);

    /// <summary>A convolutional network for binary image classification: Score is the logit, Probability its sigmoid, PredictedLabel a Boolean.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">The image as a fixed-size Single vector, e.g. from ExtractPixels.</param>
    /// <param name="imageShape">The image shape; null to read it from the feature column's dimensions.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data.</param>
    public static DeepTrainer ConvolutionalNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", ImageShape? imageShape = null, int numberOfEpochs = 50) =>
        catalog.ConvolutionalNetwork(new ConvolutionalNetworkOptions { LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName, ImageShape = imageShape, NumberOfEpochs = numberOfEpochs });

    /// <summary>A convolutional network for binary image classification, with all options.</summary>
    public static DeepTrainer ConvolutionalNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, ConvolutionalNetworkOptions options) =>
        new(catalog, options, new ConvolutionalArchitecture(options), BinaryTask.Instance);

    /// <summary>Trains your own TorchSharp network (Sequential of Linear, activations, Dropout, BatchNorm1d) for multiclass classification; its last layer must output one value per class.</summary>
    public static DeepTrainer CustomNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, nn.Module network, DeepTrainerOptions? options = null) =>
        new(catalog, options ?? new DeepTrainerOptions(), new CustomNetworkArchitecture(network), MulticlassTask.Instance);

    /// <summary>Trains your own TorchSharp network for binary classification; its last layer must output one logit.</summary>
    public static DeepTrainer CustomNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, nn.Module network, DeepTrainerOptions? options = null) =>
        new(catalog, options ?? new DeepTrainerOptions(), new CustomNetworkArchitecture(network), BinaryTask.Instance);

    /// <summary>Trains your own TorchSharp network for regression; its last layer must output one value.</summary>
    public static DeepTrainer CustomNetwork(this RegressionCatalog.RegressionTrainers catalog, nn.Module network, DeepTrainerOptions? options = null) =>
        new(catalog, options ?? new DeepTrainerOptions(), new CustomNetworkArchitecture(network), RegressionTask.Instance);

    private static FeedForwardOptions SimpleOptions(string label, string features, string? weights, int[]? hiddenLayerSizes, int epochs, double learningRate)
    {
        var options = new FeedForwardOptions
        {
            LabelColumnName = label,
            FeatureColumnName = features,
            ExampleWeightColumnName = weights,
            NumberOfEpochs = epochs,
            LearningRate = learningRate,
        };
        if (hiddenLayerSizes is not null)
            options.HiddenLayerSizes = hiddenLayerSizes;
        return options;
    }
}
