using MlNetDeep.Data;
using MlNetDeep.Networks;

namespace MlNetDeep;

/// <summary>
/// Options of the Transformer encoder trainers: the sequence (see <see cref="SequenceNetworkOptions"/> for the inputs)
/// embedded or projected to <see cref="ModelDimensions"/>, sinusoidal positional encoding, pre-normalization encoder blocks
/// (multi-head self-attention with padding masks, GELU feed-forward, residuals, dropout), a final layer normalization,
/// mean or [CLS] pooling and a linear output layer. Defaults: 64 dimensions, 4 heads, 2 blocks, feed-forward 128, mean pooling.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Tasks</term><description>multiclass and binary classification, regression</description></item>
/// <item><term>Input</term><description>numeric sequences (fixed-size vector of steps × features), images as rows or patches, or token sequences (variable-length key vectors)</description></item>
/// <item><term>Normalization needed</term><description>no: numeric inputs are standardized inside the network (statistics of the training rows)</description></item>
/// <item><term>ONNX export</term><description>yes (attention as MatMul and Softmax, LayerNormalization; one example of its own length per call)</description></item>
/// </list>
/// </remarks>
public sealed class TransformerNetworkOptions : SequenceNetworkOptions
{
    /// <summary>Features per step inside the encoder (and the token embedding size). Default 64.</summary>
    public int ModelDimensions { get; set; } = 64;

    /// <summary>Attention heads; must divide <see cref="ModelDimensions"/>. Default 4.</summary>
    public int Heads { get; set; } = 4;

    /// <summary>Encoder blocks. Default 2.</summary>
    public int NumberOfLayers { get; set; } = 2;

    /// <summary>Hidden units of each block's feed-forward part. Default 128.</summary>
    public int FeedForwardSize { get; set; } = 128;

    /// <summary>
    /// How the encoded sequence becomes one vector: <see cref="SequencePooling.Mean"/>, <see cref="SequencePooling.First"/>
    /// (a learned [CLS] token put before the sequence) or <see cref="SequencePooling.Attention"/>. Default Mean.
    /// </summary>
    public SequencePooling Pooling { get; set; } = SequencePooling.Mean;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(ModelDimensions >= 1, nameof(ModelDimensions), ModelDimensions, "must be at least 1");
        Require(Heads >= 1 && ModelDimensions % Heads == 0, nameof(Heads), Heads, $"must divide ModelDimensions ({ModelDimensions})");
        Require(NumberOfLayers >= 1, nameof(NumberOfLayers), NumberOfLayers, "must be at least 1");
        Require(FeedForwardSize >= 1, nameof(FeedForwardSize), FeedForwardSize, "must be at least 1");
        Require(Pooling is SequencePooling.Mean or SequencePooling.First or SequencePooling.Attention, nameof(Pooling), Pooling, "must be Mean, First or Attention");
    }
}

/// <summary>The Transformer encoder architecture of <see cref="TransformerNetworkOptions"/>.</summary>
internal sealed class TransformerArchitecture(TransformerNetworkOptions options) : NetworkArchitecture
{
    public override bool AcceptsTokenSequences => true;

    public override bool ScalesRegressionTargets => true;

    public override NetworkBody Create(FeatureColumn features, long outputSize, bool normalize)
    {
        var layers = new List<LayerSpec>();
        long dimensions = options.ModelDimensions;
        var stepFeatures = SequenceInput.Add(layers, features, options, normalize, dimensions);
        long maxSteps = options.MaxSequenceLength;
        if (!features.IsTokenSequence)
        {
            layers.Add(new SequenceProjectionLayer(stepFeatures, dimensions));
            maxSteps = new NetworkSpec([features.Size], layers).OutputShape[0];
        }
        if (options.Pooling == SequencePooling.First)
        {
            layers.Add(new ClassTokenLayer(dimensions));
            maxSteps++;
        }
        layers.Add(new PositionalEncodingLayer(maxSteps, dimensions));
        for (var i = 0; i < options.NumberOfLayers; i++)
            layers.Add(new TransformerEncoderLayer(dimensions, options.Heads, options.FeedForwardSize, options.DropoutRate));
        layers.Add(new SequenceLayerNormLayer(dimensions));
        layers.Add(new SequencePoolingLayer(options.Pooling, dimensions));
        DenseHead.Add(layers, dimensions, outputSize, options, dropoutOnInput: true);
        return new NetworkBody(layers);
    }
}
