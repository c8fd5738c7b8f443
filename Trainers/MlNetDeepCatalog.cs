using Microsoft.ML;
using MlNetDeep.Runtime;
using MlNetDeep.Tasks;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// MlNetDeep's trainers in ML.NET's catalogs: <c>ml.MulticlassClassification.Trainers.FeedForward()</c>,
/// <c>ml.BinaryClassification.Trainers.FeedForward()</c>, <c>ml.Regression.Trainers.FeedForward()</c>,
/// <c>ConvolutionalNetwork()</c> for images, and <c>CustomNetwork(...)</c> for a TorchSharp network of your own. Every
/// method has a flat overload with ML.NET's parameter names (the label, feature and example weight columns, the number
/// of epochs and the learning rate, then the architecture's main settings; what is not given keeps the options'
/// default) and one taking the options object.
/// </summary>
public static partial class MlNetDeepCatalog
{
    /// <summary>A feed-forward network for multiclass classification: Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; null for the default [256, 128].</param>
    public static DeepTrainer FeedForward(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, int[]? hiddenLayerSizes = null)
    {
        var options = Configure(new FeedForwardOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (hiddenLayerSizes is not null)
            options.HiddenLayerSizes = hiddenLayerSizes;
        return catalog.FeedForward(options);
    }

    /// <summary>A feed-forward network for multiclass classification, with all options.</summary>
    public static DeepTrainer FeedForward(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, FeedForwardOptions options) =>
        new(catalog, options, new FeedForwardArchitecture(options), MulticlassTask.Instance);

    /// <summary>A feed-forward network for binary classification: Score is the logit, Probability its sigmoid, PredictedLabel a Boolean.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; null for the default [256, 128].</param>
    public static DeepTrainer FeedForward(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, int[]? hiddenLayerSizes = null)
    {
        var options = Configure(new FeedForwardOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (hiddenLayerSizes is not null)
            options.HiddenLayerSizes = hiddenLayerSizes;
        return catalog.FeedForward(options);
    }

    /// <summary>A feed-forward network for binary classification, with all options.</summary>
    public static DeepTrainer FeedForward(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, FeedForwardOptions options) =>
        new(catalog, options, new FeedForwardArchitecture(options), BinaryTask.Instance);

    /// <summary>A feed-forward network for regression: Score is the prediction.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">A Single, Double or UInt32 label, or a known-size Single vector for several values.</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; null for the default [256, 128].</param>
    public static DeepTrainer FeedForward(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, int[]? hiddenLayerSizes = null)
    {
        var options = Configure(new FeedForwardOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (hiddenLayerSizes is not null)
            options.HiddenLayerSizes = hiddenLayerSizes;
        return catalog.FeedForward(options);
    }

    /// <summary>A feed-forward network for regression, with all options.</summary>
    public static DeepTrainer FeedForward(this RegressionCatalog.RegressionTrainers catalog, FeedForwardOptions options) =>
        new(catalog, options, new FeedForwardArchitecture(options), RegressionTask.Instance);

    /// <summary>A convolutional network for image classification: Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">The image as a fixed-size Single vector, e.g. from ExtractPixels.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="imageShape">The image shape; null to read it from the feature column's dimensions.</param>
    public static DeepTrainer ConvolutionalNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, ImageShape? imageShape = null)
    {
        var options = Configure(new ConvolutionalNetworkOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        options.ImageShape = imageShape;
        return catalog.ConvolutionalNetwork(options);
    }

    /// <summary>A convolutional network for image classification, with all options.</summary>
    public static DeepTrainer ConvolutionalNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, ConvolutionalNetworkOptions options) =>
        new(catalog, options, new ConvolutionalArchitecture(options), MulticlassTask.Instance);

    /// <summary>A convolutional network for binary image classification: Score is the logit, Probability its sigmoid, PredictedLabel a Boolean.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">The image as a fixed-size Single vector, e.g. from ExtractPixels.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="imageShape">The image shape; null to read it from the feature column's dimensions.</param>
    public static DeepTrainer ConvolutionalNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, ImageShape? imageShape = null)
    {
        var options = Configure(new ConvolutionalNetworkOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        options.ImageShape = imageShape;
        return catalog.ConvolutionalNetwork(options);
    }

    /// <summary>A convolutional network for binary image classification, with all options.</summary>
    public static DeepTrainer ConvolutionalNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, ConvolutionalNetworkOptions options) =>
        new(catalog, options, new ConvolutionalArchitecture(options), BinaryTask.Instance);

    /// <summary>Fine-tunes the ImageNet-pretrained ResNet18 (imported from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package, which
    /// the application must reference) with a new head for image classification: the head alone for one epoch, then the
    /// whole network with smaller learning rates for the earlier stages. Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">RGB or grayscale pixels (0–255) as a fixed-size Single vector, e.g. from ExtractPixels.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (10, the head-only epoch included).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="resolution">The side images are resized to inside the network; null to use them as they come.</param>
    public static DeepTrainer PretrainedResNet18(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, int? resolution = null)
    {
        var options = Configure(new PretrainedResNet18Options(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        options.Resolution = resolution;
        return catalog.PretrainedResNet18(options);
    }

    /// <summary>Fine-tunes the ImageNet-pretrained ResNet18 for image classification, with all options (frozen stages, head, phases, per-stage learning rates, augmentation).</summary>
    public static DeepTrainer PretrainedResNet18(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, PretrainedResNet18Options options) =>
        new(catalog, options, new PretrainedResNet18Architecture(options), MulticlassTask.Instance);

    /// <summary>
    /// Classifies image files with the ImageNet-pretrained ResNet18 (of the Microsoft.ML.DnnImageFeaturizer.ResNet18
    /// package, which the application must reference) as a fixed featurizer (224 × 224, through ML.NET's ONNX support) and
    /// a trained feed-forward head on its 512 features. Score holds class probabilities, PredictedLabel has the label's key type.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="imagePathColumnName">A text column of image file paths.</param>
    /// <param name="imageFolder">The folder relative paths start from; null for the current directory.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes of the head over the features; null for the head options' default (50).</param>
    /// <param name="learningRate">The head's (initial) learning rate; null for the head options' default (1e-3).</param>
    public static FrozenResNet18Estimator FrozenResNet18(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string imagePathColumnName = "ImagePath", string? imageFolder = null,
        string? exampleWeightColumnName = null, int? numberOfEpochs = null, double? learningRate = null)
    {
        var options = new FrozenResNet18Options { ImagePathColumnName = imagePathColumnName, ImageFolder = imageFolder };
        Configure(options.Head, labelColumnName, options.Head.FeatureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        return catalog.FrozenResNet18(options);
    }

    /// <summary>Classifies image files with the pretrained ResNet18 as a fixed featurizer and a trained head, with all options.</summary>
    public static FrozenResNet18Estimator FrozenResNet18(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, FrozenResNet18Options options) =>
        new(new MLContext(MlNetInternals.NextSeed(MlNetInternals.EnvironmentOf(catalog), "FrozenResNet18")), options);

    /// <summary>
    /// Trains your own TorchSharp network (a Sequential of supported layers) for multiclass classification; its last layer must output one value per class.
    /// Its layers are trained in place.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="network">The network to train.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    public static DeepTrainer CustomNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, nn.Module network,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null) =>
        catalog.CustomNetwork(network, Configure(new DeepTrainerOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate));

    /// <summary>Trains your own TorchSharp network for multiclass classification, with all options.</summary>
    public static DeepTrainer CustomNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, nn.Module network, DeepTrainerOptions options) =>
        new(catalog, options, new CustomNetworkArchitecture(network), MulticlassTask.Instance);

    /// <summary>
    /// Trains your own TorchSharp network (a Sequential of supported layers) for binary classification; its last layer must output one logit.
    /// Its layers are trained in place.
    /// </summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="network">The network to train.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    public static DeepTrainer CustomNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, nn.Module network,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null) =>
        catalog.CustomNetwork(network, Configure(new DeepTrainerOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate));

    /// <summary>Trains your own TorchSharp network for binary classification, with all options.</summary>
    public static DeepTrainer CustomNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, nn.Module network, DeepTrainerOptions options) =>
        new(catalog, options, new CustomNetworkArchitecture(network), BinaryTask.Instance);

    /// <summary>
    /// Trains your own TorchSharp network (a Sequential of supported layers) for regression; its last layer must output one value per label value.
    /// Its layers are trained in place.
    /// </summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="network">The network to train.</param>
    /// <param name="labelColumnName">A Single, Double or UInt32 label, or a known-size Single vector for several values.</param>
    /// <param name="featureColumnName">A fixed-size Single or Double vector.</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    public static DeepTrainer CustomNetwork(this RegressionCatalog.RegressionTrainers catalog, nn.Module network,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null) =>
        catalog.CustomNetwork(network, Configure(new DeepTrainerOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate));

    /// <summary>Trains your own TorchSharp network for regression, with all options.</summary>
    public static DeepTrainer CustomNetwork(this RegressionCatalog.RegressionTrainers catalog, nn.Module network, DeepTrainerOptions options) =>
        new(catalog, options, new CustomNetworkArchitecture(network), RegressionTask.Instance);

    /// <summary>Sets the columns every flat overload takes, and the epochs and learning rate when given.</summary>
    private static TOptions Configure<TOptions>(TOptions options, string label, string features, string? weights, int? epochs, double? learningRate)
        where TOptions : DeepTrainerOptions
    {
        options.LabelColumnName = label;
        options.FeatureColumnName = features;
        options.ExampleWeightColumnName = weights;
        if (epochs is { } numberOfEpochs)
            options.NumberOfEpochs = numberOfEpochs;
        if (learningRate is { } rate)
            options.LearningRate = rate;
        return options;
    }
}
