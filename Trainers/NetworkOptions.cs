using MlNetDeep.Data;
using MlNetDeep.Engine;
using MlNetDeep.Networks;

namespace MlNetDeep;

/// <summary>
/// Options of the trainers that build their network from options: every such network ends in the same fully connected
/// head — optional dropout on the architecture's features, hidden layers (each followed by its activation and dropout),
/// then the output layer. Each trainer sets its own defaults for these.
/// </summary>
public abstract class NetworkOptions : DeepTrainerOptions
{
    /// <summary>Sizes of the fully connected hidden layers before the output layer, input side first; empty for none. Default: the trainer's.</summary>
    public IReadOnlyList<int> HiddenLayerSizes { get; set; } = [];

    /// <summary>Dropout probability in the network (after each hidden layer, and where the architecture uses it); 0 for none. Default: the trainer's.</summary>
    public double DropoutRate { get; set; }

    /// <summary>
    /// A model.zip whose MlNetDeep network is an encoder for this one (e.g. a contrastive featurizer saved with
    /// <c>ml.Model.Save</c>): its layers must be the first layers these options build, and their weights start from it;
    /// the remaining (head) layers start fresh. Null to start from random weights. Default null.
    /// </summary>
    public string? PretrainedEncoderPath { get; set; }

    /// <summary>Epochs at the start during which the pretrained encoder stays frozen (only the head trains). Default 0.</summary>
    public int EncoderFrozenEpochs { get; set; }

    /// <summary>The pretrained encoder's learning rate as a multiple of <see cref="DeepTrainerOptions.LearningRate"/> (discriminative fine-tuning). Default 1.</summary>
    public double EncoderLearningRateMultiplier { get; set; } = 1;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(HiddenLayerSizes is not null && HiddenLayerSizes.All(s => s >= 1), nameof(HiddenLayerSizes),
            HiddenLayerSizes is null ? null : string.Join(", ", HiddenLayerSizes), "must hold sizes of at least 1");
        Require(DropoutRate is >= 0 and < 1, nameof(DropoutRate), DropoutRate, "must be in [0, 1)");
        Require(PretrainedEncoderPath is null || !string.IsNullOrWhiteSpace(PretrainedEncoderPath), nameof(PretrainedEncoderPath), PretrainedEncoderPath, "must name a file or be null");
        Require(EncoderFrozenEpochs >= 0, nameof(EncoderFrozenEpochs), EncoderFrozenEpochs, "must be 0 or more");
        Require(EncoderFrozenEpochs == 0 || PretrainedEncoderPath is not null, nameof(EncoderFrozenEpochs), EncoderFrozenEpochs, "needs PretrainedEncoderPath");
        Require(double.IsFinite(EncoderLearningRateMultiplier) && EncoderLearningRateMultiplier >= 0, nameof(EncoderLearningRateMultiplier), EncoderLearningRateMultiplier, "must be 0 or more");
    }
}

/// <summary>Starts an option-built network from a pretrained encoder (<see cref="NetworkOptions.PretrainedEncoderPath"/>).</summary>
internal static class PretrainedEncoder
{
    /// <summary>
    /// <paramref name="body"/> with the encoder's weights as initial weights and two layer groups (encoder, head), or
    /// <paramref name="body"/> itself when no encoder is given. The encoder's layers must equal the body's first layers.
    /// </summary>
    public static NetworkBody Apply(NetworkBody body, NetworkOptions options)
    {
        if (options.PretrainedEncoderPath is not { } path)
            return body;
        if (!File.Exists(path))
            throw new FileNotFoundException($"Option PretrainedEncoderPath: '{path}' does not exist.", path);
        var encoder = TrainedNetwork.Load(path);
        var count = encoder.Spec.Layers.Count;
        var matches = count < body.Layers.Count
            && new NetworkSpec(encoder.Spec.InputShape, body.Layers.Take(count).ToList()).ToJson() == encoder.Spec.ToJson();
        if (!matches)
            throw new ArgumentException(
                $"Option PretrainedEncoderPath: the network in '{path}' has {count} layers that are not the first layers these options build " +
                $"({body.Layers.Count} layers); pretrain with the same architecture options (and NormalizeFeatures).");
        return body with
        {
            InitialWeights = encoder.Weights,
            LayerGroups =
            [
                new LayerGroup("encoder", 0, count, options.EncoderLearningRateMultiplier, options.EncoderFrozenEpochs + 1),
                new LayerGroup("head", count, body.Layers.Count - count),
            ],
        };
    }
}

/// <summary>Options of the trainers that read images from a float vector column: the image's shape and pixel layout, and the dense head.</summary>
public abstract class ImageNetworkOptions : NetworkOptions
{
    /// <summary>The image shape; null to take it from the feature column's dimensions (as ExtractPixels and LoadIdxImages declare them). Default null.</summary>
    public ImageShape? ImageShape { get; set; }

    /// <summary>How pixels lie in the feature vector. Default <see cref="PixelLayout.ChannelsFirst"/> (ExtractPixels' default).</summary>
    public PixelLayout PixelLayout { get; set; } = PixelLayout.ChannelsFirst;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(ImageShape is null || ImageShape is { Channels: >= 1, Height: >= 1, Width: >= 1 }, nameof(ImageShape), ImageShape, "must be positive in every dimension");
    }

    internal ImageLayout ImageLayoutOf(FeatureColumn features) => ImageLayout.Resolve(features, ImageShape, PixelLayout);
}

/// <summary>The fully connected head every option-built architecture ends in.</summary>
internal static class DenseHead
{
    /// <summary>
    /// Adds [dropout on the <paramref name="width"/> input features when <paramref name="dropoutOnInput"/>], then per hidden
    /// layer Linear → [BatchNorm] → activation → [dropout], then the Linear output layer.
    /// </summary>
    public static void Add(List<LayerSpec> layers, long width, long outputSize, NetworkOptions options, bool dropoutOnInput,
        ActivationKind activation = ActivationKind.Relu, bool batchNormalization = false)
    {
        if (dropoutOnInput && options.DropoutRate > 0)
            layers.Add(new DropoutLayer(options.DropoutRate));
        foreach (var size in options.HiddenLayerSizes)
        {
            layers.Add(new LinearLayer(width, size));
            if (batchNormalization)
                layers.Add(new BatchNormLayer(size));
            layers.Add(new ActivationLayer(activation));
            if (options.DropoutRate > 0)
                layers.Add(new DropoutLayer(options.DropoutRate));
            width = size;
        }
        layers.Add(new LinearLayer(width, outputSize));
    }
}
