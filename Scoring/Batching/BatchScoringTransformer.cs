using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using MlNetDeep.Scoring;

namespace MlNetDeep;

/// <summary>
/// A model that scores data many rows at a time: each of its ONNX scorers that holds an MlNetDeep network runs as one
/// ONNX Runtime call per batch, while ML.NET's own column transforms run as they always do. <see cref="Transform"/> gives
/// the same columns and values as the model's own (within float rounding) and streams: memory does not grow with the
/// number of rows. Single-row use (a <c>PredictionEngine</c>) and saving go to the model itself. Create it with
/// <c>ml.Model.WithBatchScoring(model)</c>; dispose it to release its ONNX Runtime sessions.
/// </summary>
public sealed class BatchScoringTransformer : ITransformer, IDisposable
{
    private readonly ITransformer model;
    private readonly ITransformer loaded;
    private readonly IReadOnlyList<object> steps;
    private readonly BatchScoringOptions options;
    private readonly RowCounter? counter;

    internal BatchScoringTransformer(ITransformer model, BatchScoringOptions options, IProgress<long>? progress)
    {
        this.model = model;
        this.options = options;
        counter = progress is null ? null : new RowCounter(progress);
        var ml = new MLContext();
        ml.UseOnnxExecution(options.Execution);
        (loaded, var transformers) = ModelParts.Load(ml, model);
        var rowByRow = new List<string>();
        steps = transformers.Select(step =>
        {
            if (step is not OnnxTransformer scorer)
                return step;
            if (BatchedGraph.TryCreate(ModelParts.OnnxBytes(ml, scorer), out var reason) is { } graph)
                return new BatchedOnnxStep(scorer, graph, options.Execution);
            rowByRow.Add(reason!);
            return (object)scorer;
        }).ToArray();
        BatchedGraphCount = steps.Count(s => s is BatchedOnnxStep);
        RowByRowReasons = rowByRow;
    }

    /// <summary>How many of the model's ONNX graphs score in batches.</summary>
    public int BatchedGraphCount { get; }

    /// <summary>Why each of the other ONNX graphs scores one row at a time (e.g. a graph not exported by MlNetDeep, or token sequences of varying length).</summary>
    public IReadOnlyList<string> RowByRowReasons { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => loaded.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => loaded.GetOutputSchema(inputSchema);

    /// <summary>The model's own row-by-row mapper: one row gains nothing from batching.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => loaded.GetRowToRowMapper(inputSchema);

    /// <summary>The model's columns for <paramref name="input"/>, computed lazily, <see cref="BatchScoringOptions.BatchSize"/> rows per ONNX Runtime call.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var data = input;
        foreach (var step in steps)
            data = step is BatchedOnnxStep batched ? new BatchedOnnxDataView(data, batched, options.BatchSize, counter) : ((ITransformer)step).Transform(data);
        return data;
    }

    /// <summary>Saves the model itself (batch scoring is how a model runs, not part of it).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => model.Save(ctx);

    /// <summary>Releases the ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        foreach (var step in steps.OfType<BatchedOnnxStep>())
            step.Dispose();
        (loaded as IDisposable)?.Dispose();
    }
}
