using MlNetDeep.Data;
using MlNetDeep.Networks;

namespace MlNetDeep;

/// <summary>
/// Options of the feed-forward (multi-layer perceptron) trainers: fully connected hidden layers (<see cref="NetworkOptions.HiddenLayerSizes"/>,
/// default [256, 128]), each followed by optional batch normalization, an activation and dropout (<see cref="NetworkOptions.DropoutRate"/>, default 0.2).
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Tasks</term><description>multiclass and binary classification, regression</description></item>
/// <item><term>Input</term><description>a fixed-size Single or Double vector (or scalar) feature column</description></item>
/// <item><term>Normalization needed</term><description>no: inputs are standardized inside the network (<see cref="DeepTrainerOptions.NormalizeFeatures"/>)</description></item>
/// <item><term>GPU</term><description>training on CUDA with a CUDA TorchSharp backend (<see cref="DeepTrainerOptions.Device"/>)</description></item>
/// <item><term>ONNX export</term><description>yes: the fitted model scores through ONNX (<see cref="DeepPredictionTransformer.SaveOnnx"/>)</description></item>
/// </list>
/// </remarks>
public sealed class FeedForwardOptions : NetworkOptions
{
    /// <summary>Sets the feed-forward defaults: hidden layers [256, 128], dropout 0.2 after each.</summary>
    public FeedForwardOptions()
    {
        HiddenLayerSizes = [256, 128];
        DropoutRate = 0.2;
    }

    /// <summary>The activation after each hidden layer. Default <see cref="ActivationKind.Relu"/>.</summary>
    public ActivationKind Activation { get; set; } = ActivationKind.Relu;

    /// <summary>Whether each hidden layer is followed by batch normalization (before the activation). Default false.</summary>
    public bool BatchNormalization { get; set; }
}

/// <summary>The feed-forward architecture: Linear → [BatchNorm] → activation → [Dropout] per hidden layer, then a Linear output layer.</summary>
internal sealed class FeedForwardArchitecture(FeedForwardOptions options) : NetworkArchitecture
{
    public override bool ScalesRegressionTargets => true;

    public override NetworkBody Create(FeatureColumn features, long outputSize, bool normalize)
    {
        var layers = new List<LayerSpec>();
        if (normalize)
            layers.Add(new StandardizeLayer(features.Size));
        DenseHead.Add(layers, features.Size, outputSize, options, dropoutOnInput: false, options.Activation, options.BatchNormalization);
        return PretrainedEncoder.Apply(new NetworkBody(layers), options);
    }
}
