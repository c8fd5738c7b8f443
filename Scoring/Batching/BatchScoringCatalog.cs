using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep;

/// <summary>Batch scoring on ML.NET's model catalog: <c>ml.Model.WithBatchScoring(model)</c>, <c>ml.Model.CreateBatchPredictionEngine&lt;TInput, TOutput&gt;(model)</c>.</summary>
public static class BatchScoringCatalog
{
    /// <summary>
    /// <paramref name="model"/> scoring many rows per ONNX Runtime call: use it where you would use the model for bulk
    /// work — <c>Transform</c>, then <c>Evaluate</c>, <c>SaveAsText</c>, <c>CreateEnumerable</c> — on data of any size.
    /// </summary>
    /// <param name="catalog">ML.NET's model catalog.</param>
    /// <param name="model">A fitted model, or one loaded from model.zip.</param>
    /// <param name="options">Batch size and execution; null for the defaults.</param>
    /// <param name="progress">Receives the running count of scored rows after each batch; null for none.</param>
    public static BatchScoringTransformer WithBatchScoring(this ModelOperationsCatalog catalog, ITransformer model, BatchScoringOptions? options = null, IProgress<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new BatchScoringOptions();
        options.Validate();
        return new BatchScoringTransformer(model, options, progress);
    }

    /// <summary>A prediction engine for many inputs at a time, over <paramref name="model"/>.</summary>
    /// <param name="catalog">ML.NET's model catalog.</param>
    /// <param name="model">A fitted model, or one loaded from model.zip.</param>
    /// <param name="options">Batch size and execution; null for the defaults.</param>
    /// <param name="inputSchemaDefinition">How <typeparamref name="TInput"/> maps to the model's input columns (e.g. a vector's size); null to derive it from the type.</param>
    public static BatchPredictionEngine<TInput, TOutput> CreateBatchPredictionEngine<TInput, TOutput>(this ModelOperationsCatalog catalog, ITransformer model,
        BatchScoringOptions? options = null, SchemaDefinition? inputSchemaDefinition = null)
        where TInput : class
        where TOutput : class, new() =>
        new(catalog.WithBatchScoring(model, options), inputSchemaDefinition);
}
