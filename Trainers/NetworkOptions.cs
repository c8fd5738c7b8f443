using MlNetDeep.Data;
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

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(HiddenLayerSizes is not null && HiddenLayerSizes.All(s => s >= 1), nameof(HiddenLayerSizes),
            HiddenLayerSizes is null ? null : string.Join(", ", HiddenLayerSizes), "must hold sizes of at least 1");
        Require(DropoutRate is >= 0 and < 1, nameof(DropoutRate), DropoutRate, "must be in [0, 1)");
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
