using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MlNetDeep.Serving;

/// <summary>
/// Health of a pool's models: Healthy when every model is loaded, Degraded when a model's last reload failed (its previous
/// version keeps serving) or its source cannot see newer models (a registry that cannot be reached), Unhealthy when the
/// pool could not start. Data keys are <c>&lt;model&gt;.version</c>, <c>.source</c>, <c>.loadedAt</c>, <c>.reloads</c>,
/// <c>.lastReloadError</c> and <c>.sourceWatchError</c> (<c>default</c> for the unnamed model).
/// </summary>
/// <typeparam name="TData">The input row class.</typeparam>
/// <typeparam name="TPrediction">The prediction row class.</typeparam>
public sealed class PredictionEnginePoolHealthCheck<TData, TPrediction>(IServiceProvider services) : IHealthCheck
    where TData : class
    where TPrediction : class, new()
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        PredictionEnginePool<TData, TPrediction> pool;
        try
        {
            pool = services.GetRequiredService<PredictionEnginePool<TData, TPrediction>>();
        }
        catch (Exception e)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"The models could not be loaded: {e.Message}", e));
        }
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        foreach (var name in pool.ModelNames)
        {
            var status = pool.GetStatus(name);
            var key = name.Length == 0 ? "default" : name;
            data[$"{key}.version"] = status.Version;
            data[$"{key}.source"] = status.Source;
            data[$"{key}.loadedAt"] = status.LoadedAt.ToString("O", CultureInfo.InvariantCulture);
            data[$"{key}.reloads"] = status.Reloads;
            if (status.LastReloadError is { } error)
                data[$"{key}.lastReloadError"] = error;
            if (status.IsServingStaleVersion)
                problems.Add($"model {key} keeps version {status.Version}: its last reload failed: {status.LastReloadError}");
            if (status.SourceWatchError is { } watchError)
            {
                data[$"{key}.sourceWatchError"] = watchError;
                problems.Add($"model {key} keeps version {status.Version} without seeing newer ones: {watchError}");
            }
        }
        return Task.FromResult(problems.Count > 0
            ? HealthCheckResult.Degraded(string.Join("; ", problems), data: data)
            : HealthCheckResult.Healthy($"{pool.ModelNames.Count} model(s) loaded", data));
    }
}
