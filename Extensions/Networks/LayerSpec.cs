using System.Text.Json.Serialization;
using MlNetDeep.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>
/// One layer of a declarative network definition. A definition is saved with the trained weights, so a network can be
/// rebuilt for scoring export or fine-tuning without the code that first built it.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "layer")]
[JsonDerivedType(typeof(StandardizeLayer), "standardize")]
[JsonDerivedType(typeof(LinearLayer), "linear")]
[JsonDerivedType(typeof(ActivationLayer), "activation")]
[JsonDerivedType(typeof(DropoutLayer), "dropout")]
[JsonDerivedType(typeof(BatchNormLayer), "batchnorm")]
[JsonDerivedType(typeof(InputLayoutLayer), "input_layout")]
[JsonDerivedType(typeof(ChannelStandardizeLayer), "channel_standardize")]
[JsonDerivedType(typeof(Conv2dLayer), "conv2d")]
[JsonDerivedType(typeof(BatchNorm2dLayer), "batchnorm2d")]
[JsonDerivedType(typeof(Pool2dLayer), "pool2d")]
[JsonDerivedType(typeof(GlobalAveragePoolLayer), "global_average_pool")]
[JsonDerivedType(typeof(FlattenLayer), "flatten")]
[JsonDerivedType(typeof(ResidualBlockLayer), "residual_block")]
[JsonDerivedType(typeof(Pad2dLayer), "pad2d")]
[JsonDerivedType(typeof(SamePad2dLayer), "samePad2d")]
[JsonDerivedType(typeof(ResidualLayer), "residual")]
[JsonDerivedType(typeof(ExpandChannelsLayer), "expand_channels")]
[JsonDerivedType(typeof(ResizeLayer), "resize")]
[JsonDerivedType(typeof(SequenceLayoutLayer), "sequence_layout")]
[JsonDerivedType(typeof(ImagePatchesLayer), "image_patches")]
[JsonDerivedType(typeof(TokenEmbeddingLayer), "token_embedding")]
[JsonDerivedType(typeof(SequenceProjectionLayer), "sequence_projection")]
[JsonDerivedType(typeof(RecurrentLayer), "recurrent")]
[JsonDerivedType(typeof(SequencePoolingLayer), "sequence_pooling")]
[JsonDerivedType(typeof(PositionalEncodingLayer), "positional_encoding")]
[JsonDerivedType(typeof(ClassTokenLayer), "class_token")]
[JsonDerivedType(typeof(SequenceLayerNormLayer), "sequence_layer_norm")]
[JsonDerivedType(typeof(TransformerEncoderLayer), "transformer_encoder")]
[JsonDerivedType(typeof(TargetScaleLayer), "target_scale")]
public abstract record LayerSpec
{
    internal abstract nn.Module<Tensor, Tensor> CreateModule();

    /// <summary>The shape of one example after this layer (batch dimension excluded); throws when the input shape does not fit.</summary>
    internal abstract long[] OutputShape(long[] inputShape);

    /// <summary>Adds this layer's inference-mode nodes to <paramref name="graph"/>; <paramref name="input"/> has a leading batch dimension of 1.</summary>
    internal abstract string EmitOnnx(OnnxGraph graph, string input, string weightPrefix);

    private protected static long[] RequireFeatures(long[] inputShape, long features, string layer)
    {
        if (inputShape.Length != 1 || inputShape[0] != features)
            throw new InvalidOperationException(
                $"{layer} expects {features} input features but receives shape [{string.Join(", ", inputShape)}].");
        return inputShape;
    }

    private protected static long[] RequireChannels(long[] inputShape, long channels, string layer)
    {
        if (inputShape.Length != 3 || inputShape[0] != channels)
            throw new InvalidOperationException(
                $"{layer} expects an image with {channels} channels (channels, height, width) but receives shape [{string.Join(", ", inputShape)}].");
        return inputShape;
    }

    /// <summary>The output length of a sliding window along one image dimension.</summary>
    private protected static long Slide(long size, long kernel, long stride, long padding, string layer)
    {
        var output = (size + 2 * padding - kernel) / stride + 1;
        if (size + 2 * padding < kernel || output < 1)
            throw new InvalidOperationException($"{layer} with a {kernel}×{kernel} window does not fit an image side of {size} (padding {padding}).");
        return output;
    }
}

/// <summary>A layer whose values come from statistics of the training inputs (set once, before training).</summary>
internal interface IInputStatisticsLayer
{
    void SetStatistics(nn.Module module, Data.FeatureStatistics statistics);
}

/// <summary>Per-feature standardization <c>(x - mean) * scale</c>, with statistics computed from the training data and saved in the model.</summary>
public sealed record StandardizeLayer(long Features) : LayerSpec, IInputStatisticsLayer
{
    void IInputStatisticsLayer.SetStatistics(nn.Module module, Data.FeatureStatistics statistics) =>
        ((StandardizeModule)module).SetStatistics(statistics.Mean, statistics.Std);

    internal override nn.Module<Tensor, Tensor> CreateModule() => new StandardizeModule(Features);

    internal override long[] OutputShape(long[] inputShape) => RequireFeatures(inputShape, Features, "Standardize");

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        var centered = graph.Node("Sub", [input, graph.Initializer(weightPrefix + "mean")]);
        return graph.Node("Mul", [centered, graph.Initializer(weightPrefix + "scale")]);
    }
}

/// <summary>A fully connected layer <c>y = x Wᵀ + b</c>.</summary>
public sealed record LinearLayer(long InputFeatures, long OutputFeatures, bool HasBias = true) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => nn.Linear(InputFeatures, OutputFeatures, HasBias);

    internal override long[] OutputShape(long[] inputShape)
    {
        RequireFeatures(inputShape, InputFeatures, $"Linear({InputFeatures} -> {OutputFeatures})");
        return [OutputFeatures];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        // Gemm with transB=1 takes the [out, in] weight exactly as TorchSharp stores it.
        string[] inputs = HasBias
            ? [input, graph.Initializer(weightPrefix + "weight"), graph.Initializer(weightPrefix + "bias")]
            : [input, graph.Initializer(weightPrefix + "weight")];
        return graph.Node("Gemm", inputs, OnnxGraph.Attribute("transB", 1));
    }
}

/// <summary>An element-wise activation; <paramref name="Alpha"/> is the slope of <see cref="ActivationKind.LeakyRelu"/> or the scale of <see cref="ActivationKind.Elu"/>.</summary>
public sealed record ActivationLayer(ActivationKind Kind, double? Alpha = null) : LayerSpec
{
    internal double EffectiveAlpha => Alpha ?? (Kind == ActivationKind.LeakyRelu ? 0.01 : 1.0);

    internal override nn.Module<Tensor, Tensor> CreateModule() => Kind switch
    {
        ActivationKind.Relu => nn.ReLU(),
        ActivationKind.LeakyRelu => nn.LeakyReLU(EffectiveAlpha),
        ActivationKind.Elu => nn.ELU(EffectiveAlpha),
        ActivationKind.Gelu => nn.GELU(),
        ActivationKind.GeluTanh => nn.GELU(TorchSharp.Modules.GELU.Approximate.tanh),
        ActivationKind.Tanh => nn.Tanh(),
        ActivationKind.Sigmoid => nn.Sigmoid(),
        ActivationKind.Silu => nn.SiLU(),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown activation."),
    };

    internal override long[] OutputShape(long[] inputShape) => inputShape;

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        switch (Kind)
        {
            case ActivationKind.Relu: return graph.Node("Relu", [input]);
            case ActivationKind.LeakyRelu: return graph.Node("LeakyRelu", [input], OnnxGraph.Attribute("alpha", (float)EffectiveAlpha));
            case ActivationKind.Elu: return graph.Node("Elu", [input], OnnxGraph.Attribute("alpha", (float)EffectiveAlpha));
            case ActivationKind.Tanh: return graph.Node("Tanh", [input]);
            case ActivationKind.Sigmoid: return graph.Node("Sigmoid", [input]);
            case ActivationKind.Silu: return graph.Node("Mul", [input, graph.Node("Sigmoid", [input])]);
            case ActivationKind.Gelu:
            {
                // Opset 17 has no Gelu: 0.5·x·(1 + erf(x/√2)).
                var erf = graph.Node("Erf", [graph.Node("Mul", [input, graph.Constant(1f / MathF.Sqrt(2f))])]);
                var onePlus = graph.Node("Add", [erf, graph.Constant(1f)]);
                return graph.Node("Mul", [graph.Node("Mul", [input, onePlus]), graph.Constant(0.5f)]);
            }
            case ActivationKind.GeluTanh:
            {
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
                var cube = graph.Node("Mul", [graph.Node("Mul", [input, input]), input]);
                var inner = graph.Node("Add", [input, graph.Node("Mul", [cube, graph.Constant(0.044715f)])]);
                var tanh = graph.Node("Tanh", [graph.Node("Mul", [inner, graph.Constant(MathF.Sqrt(2f / MathF.PI))])]);
                var onePlus = graph.Node("Add", [tanh, graph.Constant(1f)]);
                return graph.Node("Mul", [graph.Node("Mul", [input, onePlus]), graph.Constant(0.5f)]);
            }
            default: throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown activation.");
        }
    }
}

/// <summary>Dropout with drop probability <paramref name="Probability"/> while training; the identity when scoring.</summary>
public sealed record DropoutLayer(double Probability) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => nn.Dropout(Probability);

    internal override long[] OutputShape(long[] inputShape) => inputShape;

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) => input;
}

/// <summary>Batch normalization over features; running statistics are used when scoring.</summary>
public sealed record BatchNormLayer(long Features, double Epsilon = 1e-5, double Momentum = 0.1) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => nn.BatchNorm1d(Features, Epsilon, Momentum);

    internal override long[] OutputShape(long[] inputShape) => RequireFeatures(inputShape, Features, $"BatchNorm({Features})");

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) =>
        graph.Node("BatchNormalization",
            [input, graph.Initializer(weightPrefix + "weight"), graph.Initializer(weightPrefix + "bias"),
             graph.Initializer(weightPrefix + "running_mean"), graph.Initializer(weightPrefix + "running_var")],
            OnnxGraph.Attribute("epsilon", (float)Epsilon));
}
