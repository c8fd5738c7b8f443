namespace MlNetDeep.Serving;

/// <summary>What one <see cref="PredictionEnginePool{TData, TPrediction}"/> serves and how; set through <see cref="PredictionEnginePoolBuilder{TData, TPrediction}"/>.</summary>
/// <typeparam name="TData">The input row class.</typeparam>
/// <typeparam name="TPrediction">The prediction row class.</typeparam>
public sealed class PredictionEnginePoolOptions<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    private readonly List<KeyValuePair<string, Func<IServiceProvider, ModelSource>>> modelSources = [];

    /// <summary>The most idle prediction engines kept per model; more are created under load and dropped when returned. Default twice the processor count; at least 1.</summary>
    public int MaximumEnginesRetained { get; set; } = Environment.ProcessorCount * 2;

    /// <summary>How <c>PredictAsync</c> gathers requests into batches, or null (the default) to score each request on its own.</summary>
    public DynamicBatchingOptions? DynamicBatching { get; set; }

    /// <summary>The models by name (the empty name is the default model), in the order they were added.</summary>
    public IReadOnlyList<KeyValuePair<string, Func<IServiceProvider, ModelSource>>> ModelSources => modelSources;

    /// <summary>Adds a model; a name may be added once.</summary>
    /// <param name="modelName">The model's name; empty for the default model.</param>
    /// <param name="createSource">Creates the model's source when the pool starts.</param>
    public void AddModelSource(string modelName, Func<IServiceProvider, ModelSource> createSource)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(createSource);
        if (modelSources.Any(s => s.Key == modelName))
            throw new InvalidOperationException(modelName.Length == 0
                ? "The default model of this prediction engine pool was added twice."
                : $"A model named '{modelName}' was added twice to this prediction engine pool.");
        modelSources.Add(new(modelName, createSource));
    }

    internal void Validate()
    {
        if (MaximumEnginesRetained < 1)
            throw new ArgumentOutOfRangeException(nameof(MaximumEnginesRetained), MaximumEnginesRetained, $"{nameof(MaximumEnginesRetained)} must be at least 1.");
        DynamicBatching?.Validate();
        if (modelSources.Count == 0)
            throw new InvalidOperationException(
                $"The prediction engine pool for {typeof(TData).Name} → {typeof(TPrediction).Name} has no model: add one with AddPredictionEnginePool<{typeof(TData).Name}, {typeof(TPrediction).Name}>().FromFile(...).");
    }
}
