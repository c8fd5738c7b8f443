using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebApi;

namespace MlNetDeep.Serving.Tests;

internal static class Pools
{
    /// <summary>Services with a pool of ModelInput → ModelOutput configured by <paramref name="configure"/>, logging into <paramref name="log"/>.</summary>
    public static ServiceProvider Create(Action<PredictionEnginePoolBuilder<ModelInput, ModelOutput>> configure, CapturedLog? log = null,
        Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.AddProvider(log ?? new CapturedLog()));
        configure(collection.AddPredictionEnginePool<ModelInput, ModelOutput>());
        services?.Invoke(collection);
        return collection.BuildServiceProvider();
    }

    public static PredictionEnginePool<ModelInput, ModelOutput> Pool(this IServiceProvider services) =>
        services.GetRequiredService<PredictionEnginePool<ModelInput, ModelOutput>>();

    /// <summary>Waits until <paramref name="condition"/> holds, at most <paramref name="timeout"/>; returns how long that took, or null.</summary>
    public static async Task<TimeSpan?> Until(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
                return clock.Elapsed;
            await Task.Delay(10);
        }
        return condition() ? clock.Elapsed : null;
    }
}

/// <summary>Log entries written through ILogger, kept for assertions.</summary>
internal sealed class CapturedLog : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Entries.Enqueue((logLevel, formatter(state, exception), exception));
    }
}
