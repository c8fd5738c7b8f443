using MlNetDeep.Data;
using MlNetDeep.Networks;

namespace MlNetDeep;

/// <summary>
/// Options of the recurrent network trainers: LSTM or GRU layers over a sequence (see <see cref="SequenceNetworkOptions"/>
/// for the inputs), pooled into one vector (final states, mean or attention), then a linear output layer. Defaults: one
/// LSTM layer of 128 units, final-state pooling, dropout 0.1 before the output layer.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Tasks</term><description>multiclass and binary classification, regression</description></item>
/// <item><term>Input</term><description>numeric sequences (fixed-size vector of steps × features), images as rows or patches, or token sequences (variable-length key vectors)</description></item>
/// <item><term>Normalization needed</term><description>no: numeric inputs are standardized inside the network (statistics of the training rows)</description></item>
/// <item><term>ONNX export</term><description>yes (ONNX LSTM/GRU operators, gates reordered; one example of its own length per call)</description></item>
/// </list>
/// </remarks>
public sealed class RecurrentNetworkOptions : SequenceNetworkOptions
{
    /// <summary>The recurrent cell. Default <see cref="RecurrentKind.Lstm"/>.</summary>
    public RecurrentKind Kind { get; set; } = RecurrentKind.Lstm;

    /// <summary>Units per layer and direction. Default 128.</summary>
    public int HiddenSize { get; set; } = 128;

    /// <summary>Stacked recurrent layers. Default 1.</summary>
    public int NumberOfLayers { get; set; } = 1;

    /// <summary>Whether each layer also reads the sequence backwards (outputs are twice as wide). Default false.</summary>
    public bool Bidirectional { get; set; }

    /// <summary>How the sequence of states becomes one vector: <see cref="SequencePooling.Last"/>, <see cref="SequencePooling.Mean"/> or <see cref="SequencePooling.Attention"/>. Default Last.</summary>
    public SequencePooling Pooling { get; set; } = SequencePooling.Last;

    /// <summary>Embedding size of token sequences. Default 64.</summary>
    public int EmbeddingDimensions { get; set; } = 64;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(HiddenSize >= 1, nameof(HiddenSize), HiddenSize, "must be at least 1");
        Require(NumberOfLayers >= 1, nameof(NumberOfLayers), NumberOfLayers, "must be at least 1");
        Require(Pooling is SequencePooling.Last or SequencePooling.Mean or SequencePooling.Attention, nameof(Pooling), Pooling, "must be Last, Mean or Attention");
        Require(EmbeddingDimensions >= 1, nameof(EmbeddingDimensions), EmbeddingDimensions, "must be at least 1");
    }
}

/// <summary>The recurrent architecture of <see cref="RecurrentNetworkOptions"/>.</summary>
internal sealed class RecurrentArchitecture(RecurrentNetworkOptions options) : NetworkArchitecture
{
    public override bool AcceptsTokenSequences => true;

    public override bool ScalesRegressionTargets => true;

    public override NetworkBody Create(FeatureColumn features, long outputSize, bool normalize)
    {
        var layers = new List<LayerSpec>();
        var stepFeatures = SequenceInput.Add(layers, features, options, normalize, options.EmbeddingDimensions);
        var returnSequence = options.Pooling != SequencePooling.Last;
        var recurrent = new RecurrentLayer(options.Kind, stepFeatures, options.HiddenSize, options.NumberOfLayers, options.Bidirectional,
            options.NumberOfLayers > 1 ? options.DropoutRate : 0, returnSequence);
        layers.Add(recurrent);
        var width = recurrent.Directions * options.HiddenSize;
        if (returnSequence)
            layers.Add(new SequencePoolingLayer(options.Pooling, width));
        DenseHead.Add(layers, width, outputSize, options, dropoutOnInput: true);
        return new NetworkBody(layers);
    }
}
