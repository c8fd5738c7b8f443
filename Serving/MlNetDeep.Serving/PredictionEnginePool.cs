using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.ML;

namespace MlNetDeep.Serving;

/// <summary>
/// A thread-safe pool of <see cref="PredictionEngine{TSrc, TDst}"/> objects for one or more models with the same input and
/// prediction classes, with the API of Microsoft.Extensions.ML's pool: register it with
/// <c>services.AddPredictionEnginePool&lt;TData, TPrediction&gt;().FromFile(...)</c> and call <see cref="Predict(TData)"/>
/// from any thread. Beyond that pool: every model loads when the pool starts, reloads are checked in the background and
/// swapped in atomically (requests in flight finish on the old model, which is disposed afterwards; a model that fails to
/// load or does not fit the classes is logged and the old one keeps serving), <see cref="PredictAsync(TData, CancellationToken)"/>
/// gathers concurrent requests into batches when dynamic batching is on, and the pool reports health and metrics.
/// </summary>
/// <typeparam name="TData">The input row class.</typeparam>
/// <typeparam name="TPrediction">The prediction row class.</typeparam>
public sealed class PredictionEnginePool<TData, TPrediction> : IDisposable
    where TData : class
    where TPrediction : class, new()
{
    private readonly Dictionary<string, ServedModel<TData, TPrediction>> models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PredictionEngine<TData, TPrediction>, (ServedModel<TData, TPrediction> Model, ModelGeneration<TData, TPrediction> Generation)> rented =
        new(ReferenceEqualityComparer.Instance);
    private readonly ServingMetrics metrics;
    private int disposed;

    internal PredictionEnginePool(IServiceProvider services, MLContext mlContext, PredictionEnginePoolOptions<TData, TPrediction> options,
        ILogger logger, IMeterFactory? meterFactory, IBatchScorerFactory? batchScorerFactory)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        options.Validate();
        metrics = ServingMetrics.For(meterFactory);
        try
        {
            foreach (var (name, createSource) in options.ModelSources)
            {
                var source = createSource(services);
                try
                {
                    models.Add(name, new ServedModel<TData, TPrediction>(name, source, mlContext, options.MaximumEnginesRetained, batchScorerFactory,
                        options.DynamicBatching, logger, metrics, e => ModelReloaded?.Invoke(this, e)));
                }
                catch
                {
                    source.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            foreach (var model in models.Values)
                model.Dispose();
            throw;
        }
        ModelNames = [.. models.Keys];
    }

    /// <summary>Raised on a background thread after a model was replaced by a new version.</summary>
    public event EventHandler<ModelReloadedEventArgs>? ModelReloaded;

    /// <summary>The names of the served models; the empty name is the default model.</summary>
    public IReadOnlyList<string> ModelNames { get; }

    /// <summary>Whether <see cref="PredictAsync(TData, CancellationToken)"/> gathers requests into batches.</summary>
    public bool IsBatching => models.Values.First().Batcher is not null;

    /// <summary>Predicts with the default model.</summary>
    /// <param name="example">The input.</param>
    /// <returns>A new prediction object.</returns>
    public TPrediction Predict(TData example) => Predict(string.Empty, example);

    /// <summary>Predicts with the named model.</summary>
    /// <param name="modelName">The model's name; empty for the default model.</param>
    /// <param name="example">The input.</param>
    /// <returns>A new prediction object.</returns>
    public TPrediction Predict(string modelName, TData example)
    {
        var model = Find(modelName);
        var start = metrics.Start();
        return model.Predict(example, metrics, start);
    }

    /// <summary>
    /// Predicts with the default model; with dynamic batching on, the request is scored in a batch with concurrent ones
    /// (see <see cref="DynamicBatchingOptions"/>), otherwise at once on the calling thread.
    /// </summary>
    /// <param name="example">The input.</param>
    /// <param name="cancellationToken">Cancels the request while it waits for its batch.</param>
    /// <returns>A new prediction object, for this input only.</returns>
    public ValueTask<TPrediction> PredictAsync(TData example, CancellationToken cancellationToken = default) =>
        PredictAsync(string.Empty, example, cancellationToken);

    /// <summary>Predicts with the named model, in a batch with concurrent requests when dynamic batching is on.</summary>
    /// <param name="modelName">The model's name; empty for the default model.</param>
    /// <param name="example">The input.</param>
    /// <param name="cancellationToken">Cancels the request while it waits for its batch.</param>
    /// <returns>A new prediction object, for this input only.</returns>
    public ValueTask<TPrediction> PredictAsync(string modelName, TData example, CancellationToken cancellationToken = default)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(example);
            var model = Find(modelName);
            return model.Batcher is { } batcher
                ? batcher.Enqueue(example, cancellationToken)
                : new ValueTask<TPrediction>(Predict(modelName, example));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<TPrediction>(e);
        }
    }

    /// <summary>Rents an engine of the default model; give it back with <see cref="ReturnPredictionEngine(PredictionEngine{TData, TPrediction})"/>.</summary>
    /// <returns>An engine that only the caller uses until it is returned.</returns>
    public PredictionEngine<TData, TPrediction> GetPredictionEngine() => GetPredictionEngine(string.Empty);

    /// <summary>
    /// Rents an engine of the named model; give it back with <see cref="ReturnPredictionEngine(string, PredictionEngine{TData, TPrediction})"/>.
    /// The engine's model version stays alive until it is returned, even across a reload.
    /// </summary>
    /// <param name="modelName">The model's name; empty for the default model.</param>
    /// <returns>An engine that only the caller uses until it is returned.</returns>
    public PredictionEngine<TData, TPrediction> GetPredictionEngine(string modelName)
    {
        var model = Find(modelName);
        var generation = model.Acquire();
        try
        {
            var engine = generation.Engines.Get();
            rented[engine] = (model, generation);
            return engine;
        }
        catch
        {
            generation.Release();
            throw;
        }
    }

    /// <summary>Gives back an engine rented with <see cref="GetPredictionEngine()"/>.</summary>
    /// <param name="engine">The rented engine.</param>
    public void ReturnPredictionEngine(PredictionEngine<TData, TPrediction> engine) => ReturnPredictionEngine(string.Empty, engine);

    /// <summary>Gives back an engine rented with <see cref="GetPredictionEngine(string)"/>.</summary>
    /// <param name="modelName">The model's name the engine was rented for.</param>
    /// <param name="engine">The rented engine.</param>
    public void ReturnPredictionEngine(string modelName, PredictionEngine<TData, TPrediction> engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var model = Find(modelName);
        if (!rented.TryRemove(engine, out var rental))
            throw new ArgumentException("This engine was not rented from this pool, or was already returned.", nameof(engine));
        if (rental.Model != model)
        {
            rented[engine] = rental;
            throw new ArgumentException($"This engine was rented for model {rental.Model.DisplayName}, not {model.DisplayName}.", nameof(engine));
        }
        rental.Generation.Engines.Return(engine);
        rental.Generation.Release();
    }

    /// <summary>The default model serving now.</summary>
    /// <returns>The model; it is disposed once it has been replaced by a reload and its last request has ended, so use it briefly.</returns>
    public ITransformer GetModel() => GetModel(string.Empty);

    /// <summary>The named model serving now.</summary>
    /// <param name="modelName">The model's name; empty for the default model.</param>
    /// <returns>The model; it is disposed once it has been replaced by a reload and its last request has ended, so use it briefly.</returns>
    public ITransformer GetModel(string modelName)
    {
        var generation = Find(modelName).Acquire();
        generation.Release();
        return generation.Model;
    }

    /// <summary>The named model's version, source, load time and last reload error.</summary>
    /// <param name="modelName">The model's name; empty (the default) for the default model.</param>
    /// <returns>Its status now.</returns>
    public ModelStatus GetStatus(string modelName = "") => Find(modelName).Status;

    /// <summary>A token that fires after the named model was replaced by a new version; take a new one after it fired.</summary>
    /// <param name="modelName">The model's name; empty (the default) for the default model.</param>
    /// <returns>The token for the next reload.</returns>
    public IChangeToken GetReloadToken(string modelName = "") => Find(modelName).ReloadToken;

    /// <summary>Reloads the named model from its source now, as a change of the source would.</summary>
    /// <param name="modelName">The model's name; empty (the default) for the default model.</param>
    /// <returns>Completes when the reload is done; a failed reload is logged and recorded in <see cref="GetStatus"/>, not thrown.</returns>
    public Task ReloadAsync(string modelName = "") => Find(modelName).ReloadAsync();

    /// <summary>Stops watching, completes queued batches and disposes every model once its requests have ended.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        foreach (var model in models.Values)
            model.Dispose();
    }

    private ServedModel<TData, TPrediction> Find(string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        if (models.TryGetValue(modelName, out var model))
            return model;
        throw new ArgumentException(
            modelName.Length == 0
                ? $"This pool has no default model; it serves {string.Join(", ", ModelNames.Select(n => $"'{n}'"))}. Add one with FromFile(filePath)."
                : $"This pool has no model named '{modelName}'; it serves {string.Join(", ", ModelNames.Select(n => n.Length == 0 ? "the default model" : $"'{n}'"))}.",
            nameof(modelName));
    }
}
