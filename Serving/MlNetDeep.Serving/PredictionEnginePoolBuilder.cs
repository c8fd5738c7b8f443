using Microsoft.Extensions.DependencyInjection;

namespace MlNetDeep.Serving;

/// <summary>Configures the <see cref="PredictionEnginePool{TData, TPrediction}"/> that <c>AddPredictionEnginePool</c> registered: its models, batching and engine pooling.</summary>
/// <typeparam name="TData">The input row class.</typeparam>
/// <typeparam name="TPrediction">The prediction row class.</typeparam>
public sealed class PredictionEnginePoolBuilder<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    /// <summary>Creates a builder over <paramref name="services"/>.</summary>
    /// <param name="services">The service collection the pool is registered in.</param>
    public PredictionEnginePoolBuilder(IServiceCollection services) => Services = services ?? throw new ArgumentNullException(nameof(services));

    /// <summary>The service collection the pool is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds a model from any <see cref="ModelSource"/>: the extension point for model stores (<c>FromFile</c> is built on it).
    /// </summary>
    /// <param name="modelName">The model's name; empty for the default model.</param>
    /// <param name="createSource">Creates the source when the pool starts, with the application's services.</param>
    /// <returns>This builder.</returns>
    public PredictionEnginePoolBuilder<TData, TPrediction> FromSource(string modelName, Func<IServiceProvider, ModelSource> createSource)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(createSource);
        Services.Configure<PredictionEnginePoolOptions<TData, TPrediction>>(o => o.AddModelSource(modelName, createSource));
        return this;
    }

    /// <summary>Adds the default (unnamed) model from any <see cref="ModelSource"/>.</summary>
    /// <param name="createSource">Creates the source when the pool starts, with the application's services.</param>
    /// <returns>This builder.</returns>
    public PredictionEnginePoolBuilder<TData, TPrediction> FromSource(Func<IServiceProvider, ModelSource> createSource) => FromSource(string.Empty, createSource);

    /// <summary>Gathers concurrent <c>PredictAsync</c> calls into batches (see <see cref="DynamicBatchingOptions"/>).</summary>
    /// <param name="configure">Changes the defaults (batches of up to 64, no added delay, one batch at a time per model).</param>
    /// <returns>This builder.</returns>
    public PredictionEnginePoolBuilder<TData, TPrediction> WithDynamicBatching(Action<DynamicBatchingOptions>? configure = null)
    {
        Services.Configure<PredictionEnginePoolOptions<TData, TPrediction>>(o =>
        {
            o.DynamicBatching ??= new DynamicBatchingOptions();
            configure?.Invoke(o.DynamicBatching);
        });
        return this;
    }

    /// <summary>Changes how many idle engines are kept per model (<see cref="PredictionEnginePoolOptions{TData, TPrediction}.MaximumEnginesRetained"/>).</summary>
    /// <param name="maximumEnginesRetained">At least 1.</param>
    /// <returns>This builder.</returns>
    public PredictionEnginePoolBuilder<TData, TPrediction> WithMaximumEnginesRetained(int maximumEnginesRetained)
    {
        Services.Configure<PredictionEnginePoolOptions<TData, TPrediction>>(o => o.MaximumEnginesRetained = maximumEnginesRetained);
        return this;
    }
}
