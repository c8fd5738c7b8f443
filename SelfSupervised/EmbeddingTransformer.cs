using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Networks;
using MlNetDeep.Onnx;
using MlNetDeep.Tasks;

namespace MlNetDeep;

/// <summary>
/// A featurizer: the first layers of a trained MlNetDeep network (an encoder), scored by ML.NET's own OnnxTransformer, add
/// its output as a Single vector column. It saves into model.zip like any ML.NET model, loads without TorchSharp, and
/// its model.zip is what <see cref="NetworkOptions.PretrainedEncoderPath"/> fine-tunes from.
/// </summary>
public sealed class EmbeddingTransformer : ITransformer, IDisposable
{
    private readonly ITransformer scoring;

    private EmbeddingTransformer(ITransformer scoring, TrainedNetwork encoder, string featureColumnName, string embeddingColumnName, IReadOnlyList<EpochRecord> history)
    {
        this.scoring = scoring;
        Encoder = encoder;
        FeatureColumnName = featureColumnName;
        EmbeddingColumnName = embeddingColumnName;
        History = history;
    }

    /// <summary>The encoder network (definition and weights).</summary>
    public TrainedNetwork Encoder { get; }

    /// <summary>The column the encoder reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The embedding column it adds.</summary>
    public string EmbeddingColumnName { get; }

    /// <summary>The number of values per embedding.</summary>
    public long EmbeddingSize => Encoder.Spec.OutputShape[^1];

    /// <summary>One record per pretraining epoch (train loss = NT-Xent); empty for a featurizer cut from a trained model.</summary>
    public IReadOnlyList<EpochRecord> History { get; }

    /// <summary>
    /// A featurizer from the first <paramref name="layerCount"/> layers of <paramref name="network"/> (e.g. a classifier
    /// without its output layer: <c>network.Spec.Layers.Count - 1</c>), reading <paramref name="featureColumnName"/> of
    /// data shaped like <paramref name="schemaSource"/>.
    /// </summary>
    public static EmbeddingTransformer FromNetwork(MLContext ml, TrainedNetwork network, int layerCount, IDataView schemaSource,
        string featureColumnName = "Features", string embeddingColumnName = "Embedding")
    {
        ArgumentNullException.ThrowIfNull(network);
        if (layerCount < 1 || layerCount > network.Spec.Layers.Count)
            throw new ArgumentOutOfRangeException(nameof(layerCount), layerCount, $"The network has {network.Spec.Layers.Count} layers; take 1 to {network.Spec.Layers.Count}.");
        var spec = new NetworkSpec(network.Spec.InputShape, network.Spec.Layers.Take(layerCount).ToList());
        var prefixes = Enumerable.Range(0, layerCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".").ToArray();
        var weights = network.Weights.Where(w => prefixes.Any(p => w.Key.StartsWith(p, StringComparison.Ordinal))).ToDictionary(w => w.Key, w => w.Value);
        return Create(ml, spec, weights, schemaSource, featureColumnName, embeddingColumnName, []);
    }

    internal static EmbeddingTransformer Create(MLContext ml, NetworkSpec spec, IReadOnlyDictionary<string, WeightTensor> weights, IDataView schemaSource,
        string featureColumnName, string embeddingColumnName, IReadOnlyList<EpochRecord> history)
    {
        var features = FeatureColumn.Bind(schemaSource.Schema, featureColumnName);
        if (spec.OutputShape.Length != 1)
            throw new ArgumentException($"The encoder outputs [{string.Join(", ", spec.OutputShape)}] per row; an embedding must be a vector (end the encoder with a flattening or pooling layer).");
        // An embedding is a regression network's vector output: ML.NET's OnnxTransformer gives it as a Single vector column.
        var encoder = new TrainedNetwork(spec, weights, RegressionTask.Instance, (int)spec.OutputShape[0]);
        var columns = new OutputColumns(embeddingColumnName, "PredictedLabel", "Probability");
        var scoring = ScoringChain.Build(ml, encoder, features, RegressionTask.Instance, null, columns, schemaSource);
        return new EmbeddingTransformer(scoring, encoder, featureColumnName, embeddingColumnName, history);
    }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => scoring.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => scoring.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => scoring.Transform(input);

    /// <summary>Saves the featurizer as ML.NET's own transforms (ONNX scorer and column transforms).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => scoring.Save(ctx);

    /// <summary>Releases the ONNX session.</summary>
    public void Dispose() => (scoring as IDisposable)?.Dispose();
}
