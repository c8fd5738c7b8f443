namespace MlNetDeep.Registry;

/// <summary>An alias moved (or appeared, or was removed).</summary>
/// <param name="Previous">The version it pointed to before, or null.</param>
/// <param name="Current">The version it points to now, or null when it was removed.</param>
public sealed class AliasMovedEventArgs(ResolvedVersion? Previous, ResolvedVersion? Current) : EventArgs
{
    /// <summary>The version the alias pointed to before, or null.</summary>
    public ResolvedVersion? Previous { get; } = Previous;

    /// <summary>The version it points to now, or null when it was removed.</summary>
    public ResolvedVersion? Current { get; } = Current;
}

/// <summary>
/// Follows one alias of one model by polling the registry (one indexed query per poll), for servers that reload a model
/// when its alias moves. Read <see cref="Current"/>, then either handle <see cref="Moved"/> or wait on
/// <see cref="ChangeToken"/> (cancelled when the alias moves, then replaced by a fresh one: wrap it in a
/// <c>CancellationChangeToken</c> where an <c>IChangeToken</c> is wanted). Create it with
/// <see cref="ModelRegistry.WatchAlias"/> and start it with <see cref="StartAsync"/>.
/// </summary>
public sealed class AliasWatcher : IAsyncDisposable
{
    private readonly ModelRegistry registry;
    private readonly VersionSelector selector;
    private readonly TimeSpan pollInterval;
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private CancellationTokenSource change = new();
    private ResolvedVersion? current;
    private (Exception Error, DateTimeOffset At)? lastPollFailure;
    private Task? polling;

    internal AliasWatcher(ModelRegistry registry, string modelName, VersionSelector selector, TimeSpan pollInterval)
    {
        if (pollInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(pollInterval), pollInterval, "The poll interval must be positive.");
        this.registry = registry;
        this.selector = selector;
        this.pollInterval = pollInterval;
        ModelName = modelName;
    }

    /// <summary>The model watched.</summary>
    public string ModelName { get; }

    /// <summary>The alias watched ("latest" follows the newest active version).</summary>
    public string Alias => selector.ToString();

    /// <summary>The version the alias points to, as of the last poll; null when it does not exist (yet).</summary>
    public ResolvedVersion? Current => Volatile.Read(ref current);

    /// <summary>Cancelled when the alias next moves.</summary>
    public CancellationToken ChangeToken
    {
        get
        {
            lock (gate)
                return change.Token;
        }
    }

    /// <summary>Raised on the polling thread after <see cref="Current"/> changed.</summary>
    public event EventHandler<AliasMovedEventArgs>? Moved;

    /// <summary>
    /// The error of the last background poll and when it happened, or null when the last poll succeeded: while it is set,
    /// <see cref="Current"/> may be out of date.
    /// </summary>
    public (Exception Error, DateTimeOffset At)? LastPollFailure
    {
        get
        {
            lock (gate)
                return lastPollFailure;
        }
    }

    /// <summary>Raised when a poll fails (database unreachable, …); polling goes on.</summary>
    public event EventHandler<Exception>? PollFailed;

    /// <summary>Reads where the alias points now (without raising <see cref="Moved"/>), then keeps polling in the background until disposed.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (polling is not null)
            throw new InvalidOperationException("The watcher is already started.");
        Volatile.Write(ref current, await ResolveAsync(cancellationToken).ConfigureAwait(false));
        polling = Task.Run(LoopAsync, CancellationToken.None);
    }

    /// <summary>Checks the alias once; returns whether it moved. Errors other than "not found" propagate.</summary>
    public async Task<bool> PollAsync(CancellationToken cancellationToken = default)
    {
        var latest = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        ResolvedVersion? previous;
        CancellationTokenSource moved;
        lock (gate)
        {
            previous = current;
            if (previous == latest)
                return false;
            Volatile.Write(ref current, latest);
            moved = change;
            change = new CancellationTokenSource();
        }
        Moved?.Invoke(this, new AliasMovedEventArgs(previous, latest));
        await moved.CancelAsync().ConfigureAwait(false);
        moved.Dispose();
        return true;
    }

    /// <summary>Stops polling.</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        if (polling is not null)
            await polling.ConfigureAwait(false);
        stopping.Dispose();
        lock (gate)
            change.Dispose();
    }

    private async Task<ResolvedVersion?> ResolveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await registry.ResolveAsync(ModelName, selector, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryNotFoundException)
        {
            return null;
        }
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(pollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await PollAsync(stopping.Token).ConfigureAwait(false);
                    lock (gate)
                        lastPollFailure = null;
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    lock (gate)
                        lastPollFailure = (e, DateTimeOffset.UtcNow);
                    PollFailed?.Invoke(this, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
