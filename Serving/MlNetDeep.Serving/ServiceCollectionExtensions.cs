using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using System.Diagnostics.Metrics;

namespace MlNetDeep.Serving;

/// <summary>Registers prediction engine pools, as Microsoft.Extensions.ML does.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="PredictionEnginePool{TData, TPrediction}"/>; add its models with the returned builder
    /// (<c>.FromFile(modelName, filePath, watchForChanges: true)</c>). The pool loads every model when it is first resolved.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <returns>The builder of the pool.</returns>
    public static PredictionEnginePoolBuilder<TData, TPrediction> AddPredictionEnginePool<TData, TPrediction>(this IServiceCollection services)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        services.TryAddSingleton(provider => new PredictionEnginePool<TData, TPrediction>(
            provider,
            provider.GetRequiredService<IOptions<MLOptions>>().Value.MLContext,
            provider.GetRequiredService<IOptions<PredictionEnginePoolOptions<TData, TPrediction>>>().Value,
            (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<PredictionEnginePool<TData, TPrediction>>(),
            provider.GetService<IMeterFactory>(),
            provider.GetService<IBatchScorerFactory>()));
        return new PredictionEnginePoolBuilder<TData, TPrediction>(services);
    }

    /// <summary>
    /// Adds a health check of the pool's models: Healthy when every model is loaded, Degraded when a model's last reload
    /// failed (it keeps serving its previous version), Unhealthy when the pool could not load its models. The report's data
    /// holds each model's version, source, load time, reload count and last reload error.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name. Default "models".</param>
    /// <param name="tags">Tags to filter checks with.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddPredictionEnginePoolCheck<TData, TPrediction>(this IHealthChecksBuilder builder, string name = "models", IEnumerable<string>? tags = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(name, provider => new PredictionEnginePoolHealthCheck<TData, TPrediction>(provider), HealthStatus.Unhealthy, tags));
    }
}
