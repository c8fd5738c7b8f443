using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep;

/// <summary>
/// Predicts many inputs at a time: the streaming counterpart of ML.NET's <c>PredictionEngine</c>, scoring
/// <see cref="BatchScoringOptions.BatchSize"/> rows per ONNX Runtime call. Safe to use from several threads at once
/// (each call has its own cursors). Create it with <c>ml.Model.CreateBatchPredictionEngine&lt;TInput, TOutput&gt;(model)</c>.
/// </summary>
public sealed class BatchPredictionEngine<TInput, TOutput> : IDisposable
    where TInput : class
    where TOutput : class, new()
{
    private readonly MLContext ml = new();
    private readonly BatchScoringTransformer scorer;
    private readonly SchemaDefinition? inputSchemaDefinition;

    internal BatchPredictionEngine(BatchScoringTransformer scorer, SchemaDefinition? inputSchemaDefinition)
    {
        this.scorer = scorer;
        this.inputSchemaDefinition = inputSchemaDefinition;
    }

    /// <summary>The predictions for <paramref name="inputs"/>, in their order, produced lazily as they are enumerated.</summary>
    public IEnumerable<TOutput> Predict(IEnumerable<TInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var data = ml.Data.LoadFromEnumerable(inputs, inputSchemaDefinition);
        return ml.Data.CreateEnumerable<TOutput>(scorer.Transform(data), reuseRowObject: false);
    }

    /// <summary>The predictions for <paramref name="inputs"/>, in their order.</summary>
    public TOutput[] Predict(IReadOnlyList<TInput> inputs) => Predict((IEnumerable<TInput>)inputs).ToArray();

    /// <summary>Releases the ONNX Runtime sessions.</summary>
    public void Dispose() => scorer.Dispose();
}
