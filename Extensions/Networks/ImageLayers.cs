using MlNetDeep.Onnx;
using static TorchSharp.torch;
using OnnxAttribute = global::Onnx.AttributeProto;

namespace MlNetDeep.Networks;

/// <summary>Reshapes a flat feature vector into a channels × height × width image (transposing channels-last pixels).</summary>
public sealed record InputLayoutLayer(long Channels, long Height, long Width, bool ChannelsLast = false) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new InputLayoutModule(Channels, Height, Width, ChannelsLast);

    internal override long[] OutputShape(long[] inputShape)
    {
        RequireFeatures(inputShape, Channels * Height * Width, $"Image layout {Channels}×{Height}×{Width}");
        return [Channels, Height, Width];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        if (!ChannelsLast)
            return graph.Node("Reshape", [input, graph.Constant(0, Channels, Height, Width)]);
        var pixels = graph.Node("Reshape", [input, graph.Constant(0, Height, Width, Channels)]);
        return graph.Node("Transpose", [pixels], OnnxGraph.Attribute("perm", [0L, 3, 1, 2]));
    }
}

/// <summary>
/// Per-channel standardization <c>(x - mean[c]) / std[c]</c>, saved in the model: with the given <paramref name="Mean"/> and
/// <paramref name="Std"/>, or else with statistics of the training images.
/// </summary>
public sealed record ChannelStandardizeLayer(long Channels, bool FromChannelsLast = false, double[]? Mean = null, double[]? Std = null) : LayerSpec, IInputStatisticsLayer
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new ChannelStandardizeModule(Channels);

    internal override long[] OutputShape(long[] inputShape) => RequireChannels(inputShape, Channels, $"Channel standardization ({Channels})");

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        var centered = graph.Node("Sub", [input, graph.Initializer(weightPrefix + "mean")]);
        return graph.Node("Mul", [centered, graph.Initializer(weightPrefix + "scale")]);
    }

    /// <summary>Channel statistics from per-feature ones: a channel's mean is its pixels' mean, its variance E[x²] − mean².</summary>
    void IInputStatisticsLayer.SetStatistics(nn.Module module, Data.FeatureStatistics statistics)
    {
        if (Mean is not null && Std is not null)
        {
            ((ChannelStandardizeModule)module).SetStatistics(Mean, Std);
            return;
        }
        var channels = (int)Channels;
        var pixels = statistics.Mean.Length / channels;
        var mean = new double[channels];
        var std = new double[channels];
        for (var c = 0; c < channels; c++)
        {
            double sum = 0, sumOfSquares = 0;
            for (var p = 0; p < pixels; p++)
            {
                var feature = FromChannelsLast ? p * channels + c : c * pixels + p;
                sum += statistics.Mean[feature];
                sumOfSquares += statistics.Std[feature] * statistics.Std[feature] + statistics.Mean[feature] * statistics.Mean[feature];
            }
            mean[c] = sum / pixels;
            std[c] = Math.Sqrt(Math.Max(sumOfSquares / pixels - mean[c] * mean[c], 0));
        }
        ((ChannelStandardizeModule)module).SetStatistics(mean, std);
    }
}

/// <summary>A 2-D convolution with a square kernel, stride and zero padding.</summary>
public sealed record Conv2dLayer(long InputChannels, long OutputChannels, long KernelSize, long Stride = 1, long Padding = 0, bool HasBias = true) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() =>
        Convolutions.Create(InputChannels, OutputChannels, KernelSize, Stride, Padding, HasBias);

    internal override long[] OutputShape(long[] inputShape)
    {
        RequireChannels(inputShape, InputChannels, $"Conv2d({InputChannels} -> {OutputChannels}, {KernelSize}×{KernelSize})");
        return [OutputChannels, Slide(inputShape[1], KernelSize, Stride, Padding, "Conv2d"), Slide(inputShape[2], KernelSize, Stride, Padding, "Conv2d")];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        string[] inputs = HasBias
            ? [input, graph.Initializer(weightPrefix + "weight"), graph.Initializer(weightPrefix + "bias")]
            : [input, graph.Initializer(weightPrefix + "weight")];
        return graph.Node("Conv", inputs, SlidingWindow(KernelSize, Stride, Padding));
    }

    internal static OnnxAttribute[] SlidingWindow(long kernel, long stride, long padding) =>
    [
        OnnxGraph.Attribute("kernel_shape", [kernel, kernel]),
        OnnxGraph.Attribute("strides", [stride, stride]),
        OnnxGraph.Attribute("pads", [padding, padding, padding, padding]),
    ];
}

/// <summary>Batch normalization over the channels of an image; running statistics are used when scoring.</summary>
public sealed record BatchNorm2dLayer(long Channels, double Epsilon = 1e-5, double Momentum = 0.1) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => nn.BatchNorm2d(Channels, Epsilon, Momentum);

    internal override long[] OutputShape(long[] inputShape) => RequireChannels(inputShape, Channels, $"BatchNorm2d({Channels})");

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) =>
        new BatchNormLayer(Channels, Epsilon, Momentum).EmitOnnx(graph, input, weightPrefix);
}

/// <summary>Max or average pooling over square windows.</summary>
public sealed record Pool2dLayer(PoolingKind Kind, long KernelSize, long Stride, long Padding = 0) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => Kind switch
    {
        PoolingKind.Max => nn.MaxPool2d(KernelSize, Stride, Padding),
        PoolingKind.Average => nn.AvgPool2d(KernelSize, Stride, Padding),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "A pooling layer needs Max or Average."),
    };

    internal override long[] OutputShape(long[] inputShape)
    {
        if (Kind == PoolingKind.None)
            throw new InvalidOperationException("A pooling layer needs Max or Average.");
        if (inputShape.Length != 3)
            throw new InvalidOperationException($"{Kind} pooling expects an image (channels, height, width) but receives shape [{string.Join(", ", inputShape)}].");
        return [inputShape[0], Slide(inputShape[1], KernelSize, Stride, Padding, $"{Kind} pooling"), Slide(inputShape[2], KernelSize, Stride, Padding, $"{Kind} pooling")];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) => Kind == PoolingKind.Max
        ? graph.Node("MaxPool", [input], Conv2dLayer.SlidingWindow(KernelSize, Stride, Padding))
        : graph.Node("AveragePool", [input], [.. Conv2dLayer.SlidingWindow(KernelSize, Stride, Padding), OnnxGraph.Attribute("count_include_pad", 1L)]);
}

/// <summary>The mean of each channel over the whole image: channels × height × width → channels.</summary>
public sealed record GlobalAveragePoolLayer : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new GlobalAveragePoolModule();

    internal override long[] OutputShape(long[] inputShape) => inputShape.Length == 3
        ? [inputShape[0]]
        : throw new InvalidOperationException($"Global average pooling expects an image (channels, height, width) but receives shape [{string.Join(", ", inputShape)}].");

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) =>
        graph.Node("Flatten", [graph.Node("GlobalAveragePool", [input])], OnnxGraph.Attribute("axis", 1L));
}

/// <summary>Flattens an image (channels × height × width, row-major) into a vector.</summary>
public sealed record FlattenLayer : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => nn.Flatten();

    internal override long[] OutputShape(long[] inputShape) => [inputShape.Aggregate(1L, (a, b) => a * b)];

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) =>
        graph.Node("Flatten", [input], OnnxGraph.Attribute("axis", 1L));
}

/// <summary>
/// A ResNet basic block: 3×3 convolution (with <paramref name="Stride"/>) → BatchNorm → activation → 3×3 convolution →
/// BatchNorm, plus the input (through a 1×1 convolution and BatchNorm when the shape changes), then the activation.
/// </summary>
public sealed record ResidualBlockLayer(long InputChannels, long OutputChannels, long Stride = 1, ActivationKind Activation = ActivationKind.Relu) : LayerSpec
{
    internal bool HasProjection => Stride != 1 || InputChannels != OutputChannels;

    internal override nn.Module<Tensor, Tensor> CreateModule() => new ResidualBlockModule(this);

    internal override long[] OutputShape(long[] inputShape)
    {
        RequireChannels(inputShape, InputChannels, $"Residual block ({InputChannels} -> {OutputChannels})");
        return [OutputChannels, Slide(inputShape[1], 3, Stride, 1, "Residual block"), Slide(inputShape[2], 3, Stride, 1, "Residual block")];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        var activation = new ActivationLayer(Activation);
        var x = new Conv2dLayer(InputChannels, OutputChannels, 3, Stride, 1, HasBias: false).EmitOnnx(graph, input, weightPrefix + "conv1.");
        x = new BatchNorm2dLayer(OutputChannels).EmitOnnx(graph, x, weightPrefix + "bn1.");
        x = activation.EmitOnnx(graph, x, weightPrefix);
        x = new Conv2dLayer(OutputChannels, OutputChannels, 3, 1, 1, HasBias: false).EmitOnnx(graph, x, weightPrefix + "conv2.");
        x = new BatchNorm2dLayer(OutputChannels).EmitOnnx(graph, x, weightPrefix + "bn2.");
        var shortcut = input;
        if (HasProjection)
        {
            shortcut = new Conv2dLayer(InputChannels, OutputChannels, 1, Stride, 0, HasBias: false).EmitOnnx(graph, input, weightPrefix + "shortcut_conv.");
            shortcut = new BatchNorm2dLayer(OutputChannels).EmitOnnx(graph, shortcut, weightPrefix + "shortcut_bn.");
        }
        return activation.EmitOnnx(graph, graph.Node("Add", [x, shortcut]), weightPrefix);
    }
}
