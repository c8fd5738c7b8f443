using MlNetDeep.Data;
using MlNetDeep.Networks;

namespace MlNetDeep;

/// <summary>
/// Options of the feed-forward (multi-layer perceptron) trainers: fully connected hidden layers, each followed by optional
/// batch normalization, an activation and dropout.
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
public sealed class FeedForwardOptions : DeepTrainerOptions
{
    /// <summary>Sizes of the hidden layers, input side first. Default [256, 128].</summary>
    public IReadOnlyList<int> HiddenLayerSizes { get; set; } = [256, 128];

    /// <summary>The activation after each hidden layer. Default <see cref="ActivationKind.Relu"/>.</summary>
    public ActivationKind Activation { get; set; } = ActivationKind.Relu;

    /// <summary>Dropout probability after each hidden layer's activation; 0 for none. Default 0.2.</summary>
    public double DropoutRate { get; set; } = 0.2;

    /// <summary>Whether each hidden layer is followed by batch normalization (before the activation). Default false.</summary>
    public bool BatchNormalization { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(HiddenLayerSizes is not null && HiddenLayerSizes.All(s => s >= 1), nameof(HiddenLayerSizes),
            HiddenLayerSizes is null ? null : string.Join(", ", HiddenLayerSizes), "must hold sizes of at least 1");
        Require(DropoutRate is >= 0 and < 1, nameof(DropoutRate), DropoutRate, "must be in [0, 1)");
    }
}

/// <summary>The feed-forward architecture: Linear → [BatchNorm] → activation → [Dropout] per hidden layer, then a Linear output layer.</summary>
internal sealed class FeedForwardArchitecture(FeedForwardOptions options) : NetworkArchitecture
{
    public override NetworkBody Create(FeatureColumn features, long outputSize, bool normalize)
    {
        var layers = new List<LayerSpec>();
        long width = features.Size;
        if (normalize)
            layers.Add(new StandardizeLayer(width));
        foreach (var size in options.HiddenLayerSizes)
        {
            layers.Add(new LinearLayer(width, size));
            if (options.BatchNormalization)
                layers.Add(new BatchNormLayer(size));
            layers.Add(new ActivationLayer(options.Activation));
            if (options.DropoutRate > 0)
                layers.Add(new DropoutLayer(options.DropoutRate));
            width = size;
        }
        layers.Add(new LinearLayer(width, outputSize));
        return new NetworkBody(layers);
    }
}
