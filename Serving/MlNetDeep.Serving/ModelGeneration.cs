using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;

namespace MlNetDeep.Serving;

/// <summary>
/// One loaded version of a served model with its pooled engines and batch scorer. Reference-counted: the pool holds one
/// reference while the version is current, and every request holds one while it runs, so that a replaced version is
/// disposed only after its last request has finished.
/// </summary>
internal sealed class ModelGeneration<TData, TPrediction> : IDisposable
    where TData : class
    where TPrediction : class, new()
{
    private readonly MLContext mlContext;
    private readonly IBatchScorerFactory? batchScorerFactory;
    private readonly Lock scorerLock = new();
    private IBatchScorer<TData, TPrediction>? batchScorer;
    private int references = 1;
    private int enginesCreated;

    private ModelGeneration(MLContext mlContext, LoadedModel loaded, int maximumEnginesRetained, IBatchScorerFactory? batchScorerFactory)
    {
        this.mlContext = mlContext;
        this.batchScorerFactory = batchScorerFactory;
        Model = loaded.Model;
        InputSchema = loaded.InputSchema;
        Version = loaded.Version;
        LoadedAt = DateTimeOffset.UtcNow;
        Engines = new DefaultObjectPoolProvider { MaximumRetained = maximumEnginesRetained }.Create(new EnginePolicy(this));
    }

    public ITransformer Model { get; }

    public DataViewSchema InputSchema { get; }

    public string Version { get; }

    public DateTimeOffset LoadedAt { get; }

    public ObjectPool<PredictionEngine<TData, TPrediction>> Engines { get; }

    /// <summary>How many engines this version has created so far: a measure of the concurrency it served.</summary>
    public int EnginesCreated => Volatile.Read(ref enginesCreated);

    /// <summary>
    /// Wraps a freshly loaded model and checks that it serves <typeparamref name="TData"/> → <typeparamref name="TPrediction"/>
    /// by creating its first engine (ML.NET checks every input column the model reads and every output the prediction class
    /// maps). Disposes the model when the check fails.
    /// </summary>
    /// <param name="mlContext">The context engines are created in.</param>
    /// <param name="loaded">The model just loaded.</param>
    /// <param name="maximumEnginesRetained">The most idle engines kept.</param>
    /// <param name="batchScorerFactory">Makes the batch scorer, or null for the built-in ones.</param>
    /// <param name="warmEngines">
    /// How many engines to create before the version serves (at most <paramref name="maximumEnginesRetained"/>, at least 1):
    /// a reload under load passes the number its predecessor needed, up to one per processor, so that the requests arriving
    /// right after the swap find engines ready instead of all creating one at once.
    /// </param>
    public static ModelGeneration<TData, TPrediction> Create(MLContext mlContext, LoadedModel loaded, int maximumEnginesRetained,
        IBatchScorerFactory? batchScorerFactory, int warmEngines = 1)
    {
        var generation = new ModelGeneration<TData, TPrediction>(mlContext, loaded, maximumEnginesRetained, batchScorerFactory);
        try
        {
            var engines = new PredictionEngine<TData, TPrediction>[Math.Clamp(warmEngines, 1, maximumEnginesRetained)];
            for (var i = 0; i < engines.Length; i++)
                engines[i] = generation.CreateEngine();
            foreach (var engine in engines)
                generation.Engines.Return(engine);
            return generation;
        }
        catch (Exception e)
        {
            generation.Dispose();
            throw new InvalidOperationException(
                $"Version {loaded.Version} cannot serve {typeof(TData).Name} → {typeof(TPrediction).Name}: {e.Message}", e);
        }
    }

    /// <summary>The batch scorer, made on first use.</summary>
    public IBatchScorer<TData, TPrediction> BatchScorer
    {
        get
        {
            if (Volatile.Read(ref batchScorer) is { } scorer)
                return scorer;
            lock (scorerLock)
                return batchScorer ??= batchScorerFactory?.Create<TData, TPrediction>(mlContext, Model, InputSchema)
                    ?? OnnxBatchScorer<TData, TPrediction>.TryCreate(mlContext, Model)
                    ?? (IBatchScorer<TData, TPrediction>)new TransformBatchScorer<TData, TPrediction>(mlContext, Model);
        }
    }

    /// <summary>Predicts with a pooled engine; an engine that threw is disposed rather than pooled again.</summary>
    public TPrediction Predict(TData example)
    {
        var engine = Engines.Get();
        TPrediction prediction;
        try
        {
            prediction = engine.Predict(example);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
        Engines.Return(engine);
        return prediction;
    }

    /// <summary>Takes a reference, unless the generation has been released for good.</summary>
    public bool TryAcquire()
    {
        var count = Volatile.Read(ref references);
        while (count > 0)
        {
            var seen = Interlocked.CompareExchange(ref references, count + 1, count);
            if (seen == count)
                return true;
            count = seen;
        }
        return false;
    }

    /// <summary>Drops a reference; the last one disposes the generation, off the caller's thread (disposing a model deletes files).</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref references) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static generation => generation.Dispose(), this, preferLocal: false);
    }

    public void Dispose()
    {
        (Engines as IDisposable)?.Dispose();
        batchScorer?.Dispose();
        (Model as IDisposable)?.Dispose();
    }

    private PredictionEngine<TData, TPrediction> CreateEngine()
    {
        var engine = mlContext.Model.CreatePredictionEngine<TData, TPrediction>(Model, new PredictionEngineOptions { OwnsTransformer = false });
        Interlocked.Increment(ref enginesCreated);
        return engine;
    }

    private sealed class EnginePolicy(ModelGeneration<TData, TPrediction> generation) : IPooledObjectPolicy<PredictionEngine<TData, TPrediction>>
    {
        public PredictionEngine<TData, TPrediction> Create() => generation.CreateEngine();

        public bool Return(PredictionEngine<TData, TPrediction> obj) => true;
    }
}
