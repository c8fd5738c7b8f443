using System.Collections.Concurrent;
using System.Globalization;
using MlNetDeep.Data;
using MlNetDeep.Engine;
using MlNetDeep.Networks;
using MlNetDeep.Onnx;

namespace MlNetDeep;

/// <summary>
/// Options of the pretrained ResNet18 trainer: the ImageNet-pretrained ResNet18 of the Microsoft.ML.DnnImageFeaturizer.ResNet18
/// package, imported into a TorchSharp network, with a new classification head. Training runs in phases: the head
/// alone for <see cref="HeadOnlyEpochs"/>, then the head with the backbone stages after the first
/// <see cref="FrozenStages"/> (all at once, or the last first with <see cref="EpochsPerUnfrozenStage"/>), each stage at
/// the learning rate times its <see cref="StageLearningRateMultipliers"/> entry.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Tasks</term><description>multiclass classification</description></item>
/// <item><term>Input</term><description>RGB or grayscale images as a fixed-size Single vector, e.g. LoadImages → ResizeImages → ExtractPixels (values 0–255), or LoadIdxImages (0–1, set <see cref="PixelMaximum"/> to 1); grayscale is repeated into three channels</description></item>
/// <item><term>Normalization needed</term><description>no: the ImageNet channel means the backbone was trained with are subtracted inside the network (<see cref="DeepTrainerOptions.NormalizeFeatures"/> does not apply)</description></item>
/// <item><term>Resolution</term><description>images at least 32 pixels high and wide, as they come or resized to <see cref="Resolution"/>; 224 is ImageNet's, 64–128 trains much faster on a CPU</description></item>
/// <item><term>ONNX export</term><description>yes: the whole network, resizing and channel expansion included</description></item>
/// </list>
/// </remarks>
public sealed class PretrainedResNet18Options : ImageNetworkOptions
{
    /// <summary>Backbone stages, input side first: the stem (7×7 convolution and max pooling), then four stages of residual blocks.</summary>
    public const int BackboneStages = 5;

    /// <summary>The smallest image side the backbone takes: it halves the image five times.</summary>
    public const int MinimumSide = 32;

    /// <summary>
    /// Sets the defaults of a fine-tuning run: 10 epochs at most, batch 32, no statistics pass (the backbone brings its own
    /// normalization), a linear head with dropout 0.2 on the backbone's features.
    /// </summary>
    public PretrainedResNet18Options()
    {
        NumberOfEpochs = 10;
        BatchSize = 32;
        NormalizeFeatures = false;
        DropoutRate = 0.2;
    }

    /// <summary>The side (at least 32) of the square the network resizes images to (bilinear) before the backbone, or null to use them as they come (at least 32 × 32). Default null.</summary>
    public int? Resolution { get; set; }

    /// <summary>The value of a full-intensity pixel in the input: 255 for ExtractPixels' default, 1 for LoadIdxImages or scaled pixels. Default 255.</summary>
    public double PixelMaximum { get; set; } = 255;

    /// <summary>Backbone stages, counted from the input side (0–5: stem, then stages 1–4), that are never trained; 5 uses the backbone as a fixed featurizer. Default 0.</summary>
    public int FrozenStages { get; set; }

    /// <summary>Epochs that train only the head before the backbone stages after <see cref="FrozenStages"/> are unfrozen. Default 1.</summary>
    public int HeadOnlyEpochs { get; set; } = 1;

    /// <summary>
    /// Gradual unfreezing: after the head-only epochs the last stage joins, then one more stage towards the input every
    /// this many epochs; 0 unfreezes them all at once. Default 0.
    /// </summary>
    public int EpochsPerUnfrozenStage { get; set; }

    /// <summary>
    /// Learning-rate multipliers of the five backbone stages (stem, stages 1–4): deeper, more generic layers usually
    /// move less than the last ones (discriminative learning rates). The head uses the learning rate itself. Default [0.1, 0.1, 0.2, 0.4, 0.7].
    /// </summary>
    public IReadOnlyList<double> StageLearningRateMultipliers { get; set; } = [0.1, 0.1, 0.2, 0.4, 0.7];

    /// <summary>Whether the backbone starts from the pretrained weights; false trains the same architecture from a random initialization (for comparisons). Default true.</summary>
    public bool UsePretrainedWeights { get; set; } = true;

    /// <summary>The ResNet18 ONNX file; null for the one the Microsoft.ML.DnnImageFeaturizer.ResNet18 package copies beside the application. Default null.</summary>
    public string? BackboneModelPath { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(ImageShape is null || ImageShape.Channels is 1 or 3, nameof(ImageShape), ImageShape, "must have 1 or 3 channels");
        Require(Resolution is null || Resolution >= MinimumSide, nameof(Resolution), Resolution,
            $"must be at least {MinimumSide} (ResNet18 halves the image five times)");
        Require(double.IsFinite(PixelMaximum) && PixelMaximum > 0, nameof(PixelMaximum), PixelMaximum, "must be a positive number");
        Require(FrozenStages is >= 0 and <= BackboneStages, nameof(FrozenStages), FrozenStages, $"must be in [0, {BackboneStages}]");
        Require(HeadOnlyEpochs >= 0, nameof(HeadOnlyEpochs), HeadOnlyEpochs, "must be 0 or more");
        Require(EpochsPerUnfrozenStage >= 0, nameof(EpochsPerUnfrozenStage), EpochsPerUnfrozenStage, "must be 0 or more");
        Require(StageLearningRateMultipliers is not null && StageLearningRateMultipliers.Count == BackboneStages
                && StageLearningRateMultipliers.All(m => double.IsFinite(m) && m > 0),
            nameof(StageLearningRateMultipliers), StageLearningRateMultipliers is null ? null : string.Join(", ", StageLearningRateMultipliers),
            $"must hold {BackboneStages} positive numbers (stem, stages 1-4)");
        Require(BackboneModelPath is null || File.Exists(BackboneModelPath), nameof(BackboneModelPath), BackboneModelPath, "must name an existing ONNX file");
    }
}

/// <summary>The ImageNet-pretrained ResNet18 of the Microsoft.ML.DnnImageFeaturizer.ResNet18 package as MlNetDeep layers and weights.</summary>
internal static class ResNet18Backbone
{
    /// <summary>Features the backbone gives per image.</summary>
    public const int FeatureCount = 512;

    /// <summary>The package's channel means (R, G, B, on the 0–255 scale): the means of its 224 × 224 BGR mean image.</summary>
    public static readonly double[] ChannelMean = [123.15163077626910, 115.90288236463556, 103.06262401521815];

    // Parsing the 63 MB graph takes seconds, so each file is imported once per process; its weights are never modified.
    private static readonly ConcurrentDictionary<string, ImportedNetwork> Imported = new(StringComparer.Ordinal);

    /// <summary>Where the package's build step copies ResNet18.onnx.</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The imported graph as it is: BGR input with the mean image subtracted.</summary>
    public static ImportedNetwork Import(string? path = null)
    {
        path ??= DefaultModelPath;
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"The ResNet18 model is not at '{path}'. Reference the Microsoft.ML.DnnImageFeaturizer.ResNet18 package from the application so its build copies DnnImageModels/ beside it, or set BackboneModelPath.",
                path);
        return Imported.GetOrAdd(Path.GetFullPath(path), OnnxNetworkImport.Read);
    }

    /// <summary>
    /// The backbone for RGB input: the layers and weights of <see cref="Import"/>, renumbered to start at layer
    /// <paramref name="firstLayer"/>, with the first convolution's input channels reversed (BGR → RGB).
    /// </summary>
    public static (IReadOnlyList<LayerSpec> Layers, Dictionary<string, WeightTensor> Weights) ForRgb(string? path, int firstLayer)
    {
        var imported = Import(path);
        var stem = imported.Layers.ToList().FindIndex(l => l is Conv2dLayer);
        var weights = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var (name, weight) in imported.Weights)
        {
            var layer = LayerGroup.LayerOf(name);
            var renamed = (layer + firstLayer).ToString(CultureInfo.InvariantCulture) + name[name.IndexOf('.', StringComparison.Ordinal)..];
            weights[renamed] = layer == stem && name.EndsWith(".weight", StringComparison.Ordinal) ? ReverseInputChannels(weight) : weight;
        }
        return (imported.Layers, weights);
    }

    /// <summary>
    /// The backbone's stages as (first layer, layer count), relative to the backbone: the stem up to the first residual
    /// connection, then a new stage at the first residual connection and at every one that changes the shape (has a shortcut projection).
    /// </summary>
    public static List<(int First, int Count)> Stages(IReadOnlyList<LayerSpec> layers)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is ResidualLayer residual && (residual.Shortcut.Count > 0 || starts.Count == 1))
                starts.Add(i);
        }
        return starts.Select((start, s) => (start, (s + 1 < starts.Count ? starts[s + 1] : layers.Count) - start)).ToList();
    }

    private static WeightTensor ReverseInputChannels(WeightTensor weight)
    {
        var (outputs, inputs) = (weight.Shape[0], weight.Shape[1]);
        var block = (int)(weight.Values.Length / (outputs * inputs));
        var values = new float[weight.Values.Length];
        for (var o = 0; o < outputs; o++)
        {
            for (var c = 0; c < inputs; c++)
                Array.Copy(weight.Values, (int)((o * inputs + c) * block), values, (int)((o * inputs + (inputs - 1 - c)) * block), block);
        }
        return weight with { Values = values };
    }
}

/// <summary>The network of <see cref="PretrainedResNet18Options"/>: input layout, resizing, channel expansion, ImageNet mean subtraction, the pretrained backbone and a new head.</summary>
internal sealed class PretrainedResNet18Architecture(PretrainedResNet18Options options) : NetworkArchitecture
{
    public override ImageLayout ImageLayoutOf(FeatureColumn features) => options.ImageLayoutOf(features);

    public override bool HasLayerGroups => true;

    public override NetworkBody Create(FeatureColumn features, long outputSize, bool normalize)
    {
        var image = ImageLayoutOf(features).Shape;
        if (image.Channels is not (1 or 3))
            throw new ArgumentException($"Feature column '{features.Name}' holds images with {image.Channels} channels; the pretrained ResNet18 takes RGB (3) or grayscale (1).");
        if (options.Resolution is null && (image.Height < PretrainedResNet18Options.MinimumSide || image.Width < PretrainedResNet18Options.MinimumSide))
            throw new ArgumentException(
                $"Feature column '{features.Name}' holds {image.Height}×{image.Width} images; the pretrained ResNet18 needs at least {PretrainedResNet18Options.MinimumSide}×{PretrainedResNet18Options.MinimumSide}. Set Resolution (e.g. 64) to resize them inside the network.");
        var layers = new List<LayerSpec> { new InputLayoutLayer(image.Channels, image.Height, image.Width, options.PixelLayout == PixelLayout.ChannelsLast) };
        if (options.Resolution is { } side && (side != image.Height || side != image.Width))
            layers.Add(new ResizeLayer(side, side));
        if (image.Channels == 1)
            layers.Add(new ExpandChannelsLayer(3));
        var scale = options.PixelMaximum / 255;
        layers.Add(new ChannelStandardizeLayer(3, Mean: ResNet18Backbone.ChannelMean.Select(m => m * scale).ToArray(), Std: [scale, scale, scale]));

        var backboneStart = layers.Count;
        var (backbone, weights) = ResNet18Backbone.ForRgb(options.BackboneModelPath, backboneStart);
        layers.AddRange(backbone);
        var groups = new List<LayerGroup>();
        var stages = ResNet18Backbone.Stages(backbone);
        if (stages.Count != PretrainedResNet18Options.BackboneStages)
            throw new InvalidDataException($"The backbone has {stages.Count} stages, not the stem and four stages of ResNet18.");
        for (var s = 0; s < stages.Count; s++)
        {
            // The stem's group also holds the parameter-free input layers before it.
            var first = s == 0 ? 0 : backboneStart + stages[s].First;
            var count = stages[s].Count + (s == 0 ? backboneStart : 0);
            var trainableFrom = s < options.FrozenStages ? LayerGroup.AlwaysFrozen
                : options.HeadOnlyEpochs + 1 + (stages.Count - 1 - s) * options.EpochsPerUnfrozenStage;
            groups.Add(new LayerGroup(s == 0 ? "stem" : $"stage{s}", first, count, options.StageLearningRateMultipliers[s], trainableFrom));
        }

        var headStart = layers.Count;
        DenseHead.Add(layers, ResNet18Backbone.FeatureCount, outputSize, options, dropoutOnInput: true);
        groups.Add(new LayerGroup("head", headStart, layers.Count - headStart));
        return new NetworkBody(layers) { InitialWeights = options.UsePretrainedWeights ? weights : null, LayerGroups = groups };
    }
}
