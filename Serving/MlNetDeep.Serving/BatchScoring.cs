using System.Collections.Concurrent;
using Microsoft.ML;
using MlNetDeep;

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
/// (<c>services.AddSingleton&lt;IBatchScorerFactory, MyScorerFactory&gt;()</c>) to replace the defaults (batched
/// MlNetDeep networks, else <see cref="TransformBatchScorer{TData, TPrediction}"/>) for the models it can score.
/// </summary>
public interface IBatchScorerFactory
{
    /// <summary>
    /// Makes a scorer for <paramref name="model"/>, or returns null when this factory cannot score it (the pool then runs
    /// MlNetDeep networks in batches through MlNetDeep.Scoring, and other models through <see cref="TransformBatchScorer{TData, TPrediction}"/>).
    /// </summary>
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
/// <c>model.Transform</c> and is read back in order. The data view and its transformed view are built once and reused for
/// every batch (one per concurrent batch), so a batch costs one cursor over the chain. It saves per-row engine hand-offs
/// but not per-row work: ML.NET's transforms (OnnxTransformer included) still compute row by row, so its gain over pooled
/// prediction engines is small or negative (README, Serving figures). Models with MlNetDeep networks get the batched
/// ONNX Runtime path instead (<c>OnnxBatchScorer</c>); other scorers plug in through <see cref="IBatchScorerFactory"/>.
/// </summary>
/// <typeparam name="TData">The input row class.</typeparam>
/// <typeparam name="TPrediction">The prediction row class.</typeparam>
public sealed class TransformBatchScorer<TData, TPrediction> : IBatchScorer<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    private readonly MLContext mlContext;
    private readonly ITransformer model;
    private readonly ConcurrentBag<PreparedView> views = [];

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
        if (!views.TryTake(out var view))
            view = new PreparedView(mlContext, model);
        try
        {
            view.Batch.Items = inputs;
            var predictions = new TPrediction[inputs.Count];
            var i = 0;
            foreach (var prediction in mlContext.Data.CreateEnumerable<TPrediction>(view.Scored, reuseRowObject: false, ignoreMissingColumns: true))
                predictions[i++] = prediction;
            if (i != inputs.Count)
                throw new InvalidOperationException($"The model returned {i} rows for a batch of {inputs.Count}.");
            return predictions;
        }
        finally
        {
            view.Batch.Items = [];
            views.Add(view);
        }
    }

    /// <summary>Nothing to release: the model belongs to the pool.</summary>
    public void Dispose()
    {
    }

    /// <summary>The rows of the batch being scored; the data view reads them anew each time a cursor opens.</summary>
    private sealed class BatchRows : IEnumerable<TData>
    {
        public IReadOnlyList<TData> Items { get; set; } = [];

        public IEnumerator<TData> GetEnumerator() => Items.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>An input view over <see cref="BatchRows"/> and the model's output view over it, built once.</summary>
    private sealed class PreparedView
    {
        public PreparedView(MLContext mlContext, ITransformer model)
        {
            Scored = model.Transform(mlContext.Data.LoadFromEnumerable(Batch));
        }

        public BatchRows Batch { get; } = new();

        public IDataView Scored { get; }
    }
}

/// <summary>
/// The batch scorer for models with MlNetDeep networks: MlNetDeep's batch scoring runs each network once per batch in ONNX
/// Runtime (the rest of the model row by row, as ML.NET does), over the same reused views as <see cref="TransformBatchScorer{TData, TPrediction}"/>.
/// The pool uses it for every model that has a network it can batch.
/// </summary>
internal sealed class OnnxBatchScorer<TData, TPrediction> : IBatchScorer<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    private readonly BatchScoringTransformer batched;
    private readonly TransformBatchScorer<TData, TPrediction> scorer;

    private OnnxBatchScorer(MLContext mlContext, BatchScoringTransformer batched)
    {
        this.batched = batched;
        scorer = new TransformBatchScorer<TData, TPrediction>(mlContext, batched);
    }

    /// <summary>A scorer for <paramref name="model"/>, or null when it holds no network that scores in batches.</summary>
    public static OnnxBatchScorer<TData, TPrediction>? TryCreate(MLContext mlContext, ITransformer model)
    {
        var batched = mlContext.Model.WithBatchScoring(model);
        if (batched.BatchedGraphCount > 0)
            return new OnnxBatchScorer<TData, TPrediction>(mlContext, batched);
        batched.Dispose();
        return null;
    }

    public TPrediction[] Score(IReadOnlyList<TData> inputs) => scorer.Score(inputs);

    /// <summary>Releases the ONNX Runtime sessions of the batched networks (the model itself belongs to the pool).</summary>
    public void Dispose() => batched.Dispose();
}
