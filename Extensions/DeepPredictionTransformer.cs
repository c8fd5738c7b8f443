using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Tasks;

namespace MlNetDeep;

/// <summary>
/// A fitted MlNetDeep model. It scores through ML.NET's own transforms (the network exported to ONNX and run by ML.NET's
/// OnnxTransformer), so it saves into model.zip and loads with <c>ml.Model.Load</c> like any ML.NET model. It is an ML.NET
/// prediction transformer over one feature column, so ML.NET's tooling that looks for one (permutation feature
/// importance) works on it. It holds no native tensors; dispose it to release the ONNX session.
/// </summary>
public sealed class DeepPredictionTransformer : ISingleFeaturePredictionTransformer<TrainedNetwork>, IDisposable
{
    private readonly ITransformer scoring;
    private bool disposed;

    private readonly OutputColumns columns;

    internal DeepPredictionTransformer(ITransformer scoring, TrainedNetwork network, IReadOnlyList<EpochRecord> history, string onnxInputName,
        OutputColumns columns, DataViewSchema.Column featureColumn)
    {
        this.scoring = scoring;
        this.columns = columns;
        Network = network;
        History = history;
        OnnxInputName = onnxInputName;
        FeatureColumnName = featureColumn.Name;
        FeatureColumnType = featureColumn.Type;
    }

    /// <summary>The trained network (definition and weights), e.g. to fine-tune it further.</summary>
    public TrainedNetwork Network { get; }

    /// <summary>One record per trained epoch.</summary>
    public IReadOnlyList<EpochRecord> History { get; }

    /// <summary>The feature column the network reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The feature column's type at Fit.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>The trained network (the same as <see cref="Network"/>), as ML.NET's prediction transformers expose their model.</summary>
    TrainedNetwork IPredictionTransformer<TrainedNetwork>.Model => Network;

    /// <summary>The ONNX model's input name (the feature column, or an internal column when the features needed conversion).</summary>
    public string OnnxInputName { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Scoring.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Scoring.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => Scoring.Transform(input);

    /// <summary>Saves the model as ML.NET's own transforms, so loading needs no MlNetDeep-specific loader.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => Scoring.Save(ctx);

    /// <summary>
    /// Writes the network with its inference head as an ONNX file: beside the target, flushed, then renamed into place
    /// (<see cref="SafeFile"/>), so a failed write leaves neither a partial file nor a damaged previous one.
    /// </summary>
    /// <exception cref="IOException">The file could not be written; the previous file (if any) is unchanged.</exception>
    public void SaveOnnx(string path) => SafeFile.WriteAllBytes(path, Network.ToOnnx(OnnxInputName, tokenKeyBits: 0, columns));

    /// <summary>
    /// Releases the ONNX session. A <c>PredictionEngine</c> created with ML.NET's default options owns its model and
    /// disposes it with itself; pass <c>new PredictionEngineOptions { OwnsTransformer = false }</c> to keep using the model.
    /// </summary>
    public void Dispose()
    {
        disposed = true;
        (scoring as IDisposable)?.Dispose();
    }

    private ITransformer Scoring => disposed
        ? throw new ObjectDisposedException(nameof(DeepPredictionTransformer), "The model was disposed (a PredictionEngine that owns its model disposes it with itself).")
        : scoring;
}
