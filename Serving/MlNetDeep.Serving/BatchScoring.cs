using Microsoft.ML;

namespace MlNetDeep.Serving;

/// <summary>
/// Scores a batch of inputs with one loaded model: the seam dynamic batching scores through. A pool creates one scorer per
/// loaded model (through <see cref="IBatchScorerFactory"/>) and disposes it with that model.
/// </summary>
/// <typeparam name="TData">The input row class.</typeparam>
/// <typeparam name="TPrediction">The prediction row class.</typeparam>
public interface IBatchScorer<TData, TPrediction> : IDisposable
    where TData : class
    where TPrediction : class, new()
{
    /// <summary>
    /// Scores <paramref name="inputs"/>: element i of the result is a new <typeparamref name="TPrediction"/> for
    /// <c>inputs[i]</c>, equal to what a <see cref="PredictionEngine{TSrc, TDst}"/> of the same model predicts for it.
    /// Called from several threads at once when <see cref="DynamicBatchingOptions.MaximumConcurrentBatches"/> is above 1.
    /// </summary>
    /// <param name="inputs">Two or more inputs (a single request is scored by a pooled prediction engine instead).</param>
    /// <returns>One prediction per input, in the inputs' order.</returns>
    TPrediction[] Score(IReadOnlyList<TData> inputs);
}

/// <summary>
/// Makes the <see cref="IBatchScorer{TData, TPrediction}"/> of each loaded model. Register one in the services
/// (<c>services.AddSingleton&lt;IBatchScorerFactory, MyScorerFactory&gt;()</c>) to replace the default
/// <see cref="TransformBatchScorer{TData, TPrediction}"/> for the models it can score.
/// </summary>
public interface IBatchScorerFactory
{
    /// <summary>Makes a scorer for <paramref name="model"/>, or returns null when this factory cannot score it (the pool then uses <see cref="TransformBatchScorer{TData, TPrediction}"/>).</summary>
    /// <param name="mlContext">The pool's context.</param>
    /// <param name="model">The loaded model; it outlives the scorer.</param>
    /// <param name="inputSchema">The input schema saved with the model.</param>
    /// <returns>The scorer, or null.</returns>
    IBatchScorer<TData, TPrediction>? Create<TData, TPrediction>(MLContext mlContext, ITransformer model, DataViewSchema inputSchema)
        where TData : class
        where TPrediction : class, new();
}

/// <summary>
/// The batch scorer for any ML.NET model: the batch becomes an in-memory <see cref="IDataView"/>, goes through
/// <c>model.Transform</c> and is read back in order. It saves per-row engine hand-offs but not per-row work: ML.NET's
/// transforms (OnnxTransformer included) still compute row by row, so the gain over pooled prediction engines is small or
/// negative (README, Serving figures); a scorer that runs the network once per batch plugs in through <see cref="IBatchScorerFactory"/>.
/// </summary>
/// <typeparam name="TData">The input row class.</typeparam>
/// <typeparam name="TPrediction">The prediction row class.</typeparam>
public sealed class TransformBatchScorer<TData, TPrediction> : IBatchScorer<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    private readonly MLContext mlContext;
    private readonly ITransformer model;

    /// <summary>Creates a scorer over <paramref name="model"/>.</summary>
    /// <param name="mlContext">The context to build the data view with.</param>
    /// <param name="model">The model; not disposed by the scorer.</param>
    public TransformBatchScorer(MLContext mlContext, ITransformer model)
    {
        this.mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        this.model = model ?? throw new ArgumentNullException(nameof(model));
    }

    /// <inheritdoc/>
    public TPrediction[] Score(IReadOnlyList<TData> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(inputs));
        var predictions = new TPrediction[inputs.Count];
        var i = 0;
        foreach (var prediction in mlContext.Data.CreateEnumerable<TPrediction>(scored, reuseRowObject: false, ignoreMissingColumns: true))
            predictions[i++] = prediction;
        if (i != inputs.Count)
            throw new InvalidOperationException($"The model returned {i} rows for a batch of {inputs.Count}.");
        return predictions;
    }

    /// <summary>Nothing to release: the model belongs to the pool.</summary>
    public void Dispose()
    {
    }
}
