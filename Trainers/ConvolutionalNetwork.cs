using MlNetDeep.Data;
using MlNetDeep.Networks;

namespace MlNetDeep;

/// <summary>One stage of a convolutional network: a convolution (or a residual block), then optional pooling and dropout.</summary>
/// <param name="Channels">Output channels (feature maps).</param>
public sealed record ConvolutionBlock(int Channels)
{
    /// <summary>Square kernel size. Default 3.</summary>
    public int KernelSize { get; init; } = 3;

    /// <summary>Convolution stride. Default 1.</summary>
    public int Stride { get; init; } = 1;

    /// <summary>Zero padding on each side; null keeps the size at stride 1 (KernelSize / 2). Default null.</summary>
    public int? Padding { get; init; }

    /// <summary>Batch normalization after the convolution (the convolution then has no bias). Default true.</summary>
    public bool BatchNormalization { get; init; } = true;

    /// <summary>The activation. Default <see cref="ActivationKind.Relu"/>.</summary>
    public ActivationKind Activation { get; init; } = ActivationKind.Relu;

    /// <summary>Pooling after the activation. Default <see cref="PoolingKind.Max"/>.</summary>
    public PoolingKind Pooling { get; init; } = PoolingKind.Max;

    /// <summary>Pooling window and stride. Default 2.</summary>
    public int PoolSize { get; init; } = 2;

    /// <summary>Dropout probability at the end of the block; 0 for none. Default 0.</summary>
    public double DropoutRate { get; init; }

    /// <summary>A ResNet basic block (two 3×3 convolutions with batch normalization and a skip connection) instead of one convolution. Default false.</summary>
    public bool Residual { get; init; }
}

/// <summary>How the classifier head reads the last feature maps.</summary>
public enum ClassifierInput
{
    /// <summary>All feature-map values, flattened (the classic small CNN).</summary>
    Flatten,

    /// <summary>Each feature map's mean (fewer weights; any input size).</summary>
    GlobalAveragePooling,
}

/// <summary>
/// Options of the convolutional network trainers: convolution blocks (convolution, batch normalization, activation,
/// pooling, dropout, or residual blocks), then a fully connected classifier head. The defaults are the classic small
/// CNN: Conv 32 → BN → ReLU → MaxPool, Conv 64 → BN → ReLU → MaxPool, FC 128 → Dropout 0.25 → output.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Tasks</term><description>multiclass and binary classification</description></item>
/// <item><term>Input</term><description>images as a fixed-size Single vector: the output of ML.NET's image pipeline (LoadImages → ResizeImages → ExtractPixels), or any vector with a declared <see cref="ImageShape"/></description></item>
/// <item><term>Normalization needed</term><description>no: per-channel mean and standard deviation of the training images are part of the model</description></item>
/// <item><term>Augmentation</term><description><see cref="DeepTrainerOptions.Augmentation"/>: flips, crops, rotation, translation, random erasing</description></item>
/// <item><term>ONNX export</term><description>yes (convolution, batch normalization in inference mode, pooling, residual adds)</description></item>
/// </list>
/// </remarks>
public sealed class ConvolutionalNetworkOptions : ImageNetworkOptions
{
    /// <summary>Sets the defaults of the classic small CNN's head: one hidden layer of 128 units, dropout 0.25.</summary>
    public ConvolutionalNetworkOptions()
    {
        HiddenLayerSizes = [128];
        DropoutRate = 0.25;
    }

    /// <summary>Per-channel means for input standardization (e.g. ImageNet's); null to compute them from the training images. Default null.</summary>
    public IReadOnlyList<double>? ChannelMean { get; set; }

    /// <summary>Per-channel standard deviations for input standardization; null to compute them from the training images. Default null.</summary>
    public IReadOnlyList<double>? ChannelStd { get; set; }

    /// <summary>The convolution blocks, input side first. Default: 32 and 64 channels, each with batch normalization, ReLU and 2×2 max pooling.</summary>
    public IReadOnlyList<ConvolutionBlock> Blocks { get; set; } = [new(32), new(64)];

    /// <summary>How the head reads the last feature maps. Default <see cref="ClassifierInput.Flatten"/>.</summary>
    public ClassifierInput ClassifierInput { get; set; } = ClassifierInput.Flatten;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require((ChannelMean is null) == (ChannelStd is null), nameof(ChannelMean), ChannelMean is null ? "null" : "set", "and ChannelStd must be given together");
        Require(ChannelStd is null || ChannelStd.All(s => double.IsFinite(s) && s > 0), nameof(ChannelStd),
            ChannelStd is null ? null : string.Join(", ", ChannelStd), "must be positive");
        Require(ChannelMean is null || ChannelMean.All(double.IsFinite), nameof(ChannelMean),
            ChannelMean is null ? null : string.Join(", ", ChannelMean), "must be finite");
        Require(Blocks is not null, nameof(Blocks), Blocks, "must be a list (possibly empty)");
        for (var i = 0; i < Blocks!.Count; i++)
        {
            var block = Blocks[i];
            var name = $"{nameof(Blocks)}[{i}]";
            Require(block.Channels >= 1, name + ".Channels", block.Channels, "must be at least 1");
            Require(block.KernelSize >= 1, name + ".KernelSize", block.KernelSize, "must be at least 1");
            Require(block.Stride >= 1, name + ".Stride", block.Stride, "must be at least 1");
            Require(block.Padding is null or >= 0, name + ".Padding", block.Padding, "must be 0 or more");
            Require(block.Pooling == PoolingKind.None || block.PoolSize >= 1, name + ".PoolSize", block.PoolSize, "must be at least 1");
            Require(block.DropoutRate is >= 0 and < 1, name + ".DropoutRate", block.DropoutRate, "must be in [0, 1)");
            Require(!block.Residual || (block.KernelSize == 3 && block.Padding is null or 1 && block.BatchNormalization), name + ".Residual", block.Residual,
                "needs KernelSize 3, the default padding and BatchNormalization (a residual block is two 3×3 convolutions with batch normalization)");
        }
    }
}

/// <summary>The convolutional architecture of <see cref="ConvolutionalNetworkOptions"/>.</summary>
internal sealed class ConvolutionalArchitecture(ConvolutionalNetworkOptions options) : NetworkArchitecture
{
    public override bool ScalesRegressionTargets => true;

    public override ImageLayout ImageLayoutOf(FeatureColumn features) => options.ImageLayoutOf(features);

    public override NetworkBody Create(FeatureColumn features, long outputSize, bool normalize)
    {
        var image = ImageLayoutOf(features).Shape;
        var channelsLast = options.PixelLayout == PixelLayout.ChannelsLast;
        var layers = new List<LayerSpec> { new InputLayoutLayer(image.Channels, image.Height, image.Width, channelsLast) };
        if (normalize)
        {
            if (options.ChannelMean is { } mean && (mean.Count != image.Channels || options.ChannelStd!.Count != image.Channels))
                throw new ArgumentException($"Options ChannelMean and ChannelStd need one value per channel; the images have {image.Channels}.");
            layers.Add(new ChannelStandardizeLayer(image.Channels, channelsLast, options.ChannelMean?.ToArray(), options.ChannelStd?.ToArray()));
        }
        long channels = image.Channels;
        foreach (var block in options.Blocks)
        {
            if (block.Residual)
            {
                layers.Add(new ResidualBlockLayer(channels, block.Channels, block.Stride, block.Activation));
            }
            else
            {
                layers.Add(new Conv2dLayer(channels, block.Channels, block.KernelSize, block.Stride, block.Padding ?? block.KernelSize / 2, HasBias: !block.BatchNormalization));
                if (block.BatchNormalization)
                    layers.Add(new BatchNorm2dLayer(block.Channels));
                layers.Add(new ActivationLayer(block.Activation));
            }
            if (block.Pooling != PoolingKind.None)
                layers.Add(new Pool2dLayer(block.Pooling, block.PoolSize, block.PoolSize));
            if (block.DropoutRate > 0)
                layers.Add(new DropoutLayer(block.DropoutRate));
            channels = block.Channels;
        }
        layers.Add(options.ClassifierInput == ClassifierInput.Flatten ? new FlattenLayer() : new GlobalAveragePoolLayer());
        DenseHead.Add(layers, new NetworkSpec([features.Size], layers).OutputShape[0], outputSize, options, dropoutOnInput: false);
        return PretrainedEncoder.Apply(new NetworkBody(layers), options);
    }
}
