using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.ML;

namespace MlNetDeep.Serving;

/// <summary>
/// One named model of a pool: its source, the generation serving now, and the reloads. A reload loads and checks the new
/// version on a background thread, swaps it in with one atomic exchange and releases the old one, which is disposed when
/// its last request ends. Reload requests that arrive during a reload are merged into one more reload afterwards.
/// </summary>
internal sealed partial class ServedModel<TData, TPrediction> : IDisposable
    where TData : class
    where TPrediction : class, new()
{
    private readonly MLContext mlContext;
    private readonly int maximumEnginesRetained;
    private readonly IBatchScorerFactory? batchScorerFactory;
    private readonly ILogger logger;
    private readonly ServingMetrics metrics;
    private readonly Action<ModelReloadedEventArgs> onReloaded;
    private readonly CancellationTokenSource stopping = new();
    private readonly IDisposable? watch;
    private readonly Lock statusLock = new();
    private ModelGeneration<TData, TPrediction> current;
    private CancellationTokenSource reloaded = new();
    private int reloadRequested;
    private int reloadRunning;
    private Task reloadTask = Task.CompletedTask;
    private int reloads;
    private string? lastReloadError;
    private DateTimeOffset? lastReloadErrorAt;
    private volatile bool disposed;

    public ServedModel(string name, ModelSource source, MLContext mlContext, int maximumEnginesRetained, IBatchScorerFactory? batchScorerFactory,
        DynamicBatchingOptions? batching, ILogger logger, ServingMetrics metrics, Action<ModelReloadedEventArgs> onReloaded)
    {
        Name = name;
        Source = source;
        this.mlContext = mlContext;
        this.maximumEnginesRetained = maximumEnginesRetained;
        this.batchScorerFactory = batchScorerFactory;
        this.logger = logger;
        this.metrics = metrics;
        this.onReloaded = onReloaded;
        Tag = ServingMetrics.ModelTag(name);
        var started = DateTimeOffset.UtcNow;
        try
        {
            current = ModelGeneration<TData, TPrediction>.Create(mlContext, source.LoadAsync(mlContext, stopping.Token).GetAwaiter().GetResult(),
                maximumEnginesRetained, batchScorerFactory);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Model {DisplayName} ({source.Description}) could not be loaded: {e.Message}", e);
        }
        LogLoaded(logger, DisplayName, current.Version, source.Description, (DateTimeOffset.UtcNow - started).TotalSeconds);
        watch = ChangeToken.OnChange(source.GetReloadToken, RequestReload);
        Batcher = batching is null ? null : new DynamicBatcher<TData, TPrediction>(this, batching, metrics);
    }

    public string Name { get; }

    public string DisplayName => Name.Length == 0 ? "(default)" : $"'{Name}'";

    public ModelSource Source { get; }

    public KeyValuePair<string, object?> Tag { get; }

    public DynamicBatcher<TData, TPrediction>? Batcher { get; }

    /// <summary>Fires after each successful swap.</summary>
    public IChangeToken ReloadToken
    {
        get
        {
            lock (statusLock)
                return new CancellationChangeToken(reloaded.Token);
        }
    }

    public ModelStatus Status
    {
        get
        {
            var generation = Volatile.Read(ref current);
            lock (statusLock)
                return new ModelStatus(Name, Source.Description, generation.Version, generation.LoadedAt, reloads, lastReloadError, lastReloadErrorAt,
                    Source.WatchError);
        }
    }

    /// <summary>One prediction by the generation serving now, counted in <paramref name="metrics"/> from <paramref name="start"/>.</summary>
    public TPrediction Predict(TData example, ServingMetrics metrics, long start)
    {
        var generation = Acquire();
        try
        {
            var prediction = generation.Predict(example);
            metrics.Predicted(Tag, start);
            return prediction;
        }
        catch
        {
            metrics.Failed(Tag);
            throw;
        }
        finally
        {
            generation.Release();
        }
    }

    /// <summary>Takes a reference on the generation serving now; release it when the request is done.</summary>
    public ModelGeneration<TData, TPrediction> Acquire()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var generation = Volatile.Read(ref current);
            if (generation.TryAcquire())
                return generation;
            // Replaced and fully released between the read and the acquire: the next read sees its successor.
        }
    }

    /// <summary>Reloads at once, as a change of the source would; completes when that reload (and any merged into it) is done.</summary>
    public Task ReloadAsync()
    {
        RequestReload();
        return Volatile.Read(ref reloadTask);
    }

    private void RequestReload()
    {
        if (disposed)
            return;
        Volatile.Write(ref reloadRequested, 1);
        if (Interlocked.CompareExchange(ref reloadRunning, 1, 0) == 0)
            // A thread of its own: under load the thread pool is busy with requests, and a reload queued behind them would
            // leave the old model serving for seconds.
            Volatile.Write(ref reloadTask, Task.Factory.StartNew(RunReloads, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    private void RunReloads()
    {
        while (true)
        {
            while (Interlocked.Exchange(ref reloadRequested, 0) == 1 && !disposed)
                ReloadOnce();
            Volatile.Write(ref reloadRunning, 0);
            // A request that came after the last check but before reloadRunning was cleared would otherwise be lost.
            if (Volatile.Read(ref reloadRequested) == 0 || Interlocked.CompareExchange(ref reloadRunning, 1, 0) != 0)
                return;
        }
    }

    private void ReloadOnce()
    {
        var started = DateTimeOffset.UtcNow;
        var previous = Volatile.Read(ref current);
        ModelGeneration<TData, TPrediction> loaded;
        try
        {
            loaded = ModelGeneration<TData, TPrediction>.Create(mlContext, Source.LoadAsync(mlContext, stopping.Token).GetAwaiter().GetResult(),
                maximumEnginesRetained, batchScorerFactory, warmEngines: Math.Min(previous.EnginesCreated, Environment.ProcessorCount));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            lock (statusLock)
            {
                lastReloadError = e.Message;
                lastReloadErrorAt = DateTimeOffset.UtcNow;
            }
            metrics.Reloaded(Tag, succeeded: false);
            LogReloadFailed(logger, e, DisplayName, Source.Description, previous.Version, e.Message);
            return;
        }
        if (disposed)
        {
            loaded.Release();
            return;
        }
        previous = Interlocked.Exchange(ref current, loaded);
        previous.Release();
        CancellationTokenSource fired;
        lock (statusLock)
        {
            reloads++;
            fired = reloaded;
            reloaded = new CancellationTokenSource();
        }
        metrics.Reloaded(Tag, succeeded: true);
        LogReloaded(logger, DisplayName, loaded.Version, previous.Version, (DateTimeOffset.UtcNow - started).TotalSeconds);
        fired.Cancel();
        try
        {
            onReloaded(new ModelReloadedEventArgs(Name, loaded.Version, previous.Version));
        }
        catch (Exception e)
        {
            LogHandlerFailed(logger, e, DisplayName);
        }
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        stopping.Cancel();
        watch?.Dispose();
        Batcher?.Dispose();
        try
        {
            Volatile.Read(ref reloadTask).Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // Reload errors were logged where they happened.
        }
        Volatile.Read(ref current).Release();
        Source.Dispose();
        stopping.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Model {Model}: version {Version} loaded from {Source} in {Seconds:F2} s")]
    private static partial void LogLoaded(ILogger logger, string model, string version, string source, double seconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Model {Model}: version {Version} replaced {PreviousVersion} (loaded and checked in {Seconds:F2} s)")]
    private static partial void LogReloaded(ILogger logger, string model, string version, string previousVersion, double seconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Model {Model}: the new model from {Source} was rejected, version {Version} keeps serving: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, string model, string source, string version, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Model {Model}: a ModelReloaded handler threw")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string model);
}
