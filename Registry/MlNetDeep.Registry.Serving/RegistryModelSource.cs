using Microsoft.Extensions.Primitives;
using Microsoft.ML;
using MlNetDeep.Serving;
using ServedModel = MlNetDeep.Serving.LoadedModel;

namespace MlNetDeep.Registry.Serving;

/// <summary>
/// A registry alias (such as <c>production</c>) as a <see cref="ModelSource"/> for a PredictionEnginePool: it loads the
/// version the alias points to, with its model.zip checked against the registered SHA-256, and fires the reload token
/// when the alias moves, as seen by polling the registry every <see cref="PollInterval"/> (one indexed query per poll,
/// see <see cref="AliasWatcher"/>). The pool then loads the new version in the background and swaps it in; a version that
/// cannot be loaded (a damaged artifact, a file ML.NET cannot read, a model with another schema) leaves the current one
/// serving, and the alias's next move is loaded again.
/// </summary>
/// <remarks>
/// The served version is named <c>model@version</c> (for example <c>fashion-mnist-cnn@7</c>) in the pool's status, logs
/// and reload events. The alias <c>latest</c> follows the newest active version. A registry that cannot be reached keeps
/// the current version serving, polling goes on, and <see cref="WatchError"/> (shown by the pool's health check) says why.
/// </remarks>
public sealed class RegistryModelSource : ModelSource
{
    /// <summary>The default <see cref="PollInterval"/>: 2 seconds.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(2);

    private static readonly IChangeToken AlreadyChanged = new CancellationChangeToken(new CancellationToken(canceled: true));

    private readonly Func<CancellationToken, Task<ModelRegistry>> openRegistry;
    private readonly bool ownsRegistry;
    private readonly Lock gate = new();
    private ModelRegistry? registry;
    private AliasWatcher? watcher;
    private CancellationTokenSource changed = new();
    // The version the last load tried, the last version a reload was signalled for, and whether the live token was handed out.
    private ResolvedVersion? attempted;
    private ResolvedVersion? signalled;
    private bool tokenHandedOut;
    private bool disposed;

    /// <summary>Serves <paramref name="alias"/> of <paramref name="modelName"/> from <paramref name="registry"/>, which the caller keeps and disposes.</summary>
    /// <param name="registry">An open registry.</param>
    /// <param name="modelName">The model's name in the registry.</param>
    /// <param name="alias">The alias to follow, such as <c>production</c>, or <c>latest</c> for the newest active version.</param>
    /// <param name="pollInterval">How often the alias is checked (default <see cref="DefaultPollInterval"/>; from 10 ms to 1 hour).</param>
    public RegistryModelSource(ModelRegistry registry, string modelName, string alias, TimeSpan? pollInterval = null)
        : this(OpenShared(registry), ownsRegistry: false, modelName, alias, pollInterval)
    {
    }

    /// <summary>
    /// Serves <paramref name="alias"/> of <paramref name="modelName"/> from the registry <paramref name="openRegistry"/>
    /// opens on the first load (for example <c>ct =&gt; SqliteRegistry.OpenAsync(folder, readOnly: true, ct)</c>); the
    /// source disposes that registry with itself.
    /// </summary>
    /// <param name="openRegistry">Opens the registry.</param>
    /// <param name="modelName">The model's name in the registry.</param>
    /// <param name="alias">The alias to follow, such as <c>production</c>, or <c>latest</c> for the newest active version.</param>
    /// <param name="pollInterval">How often the alias is checked (default <see cref="DefaultPollInterval"/>; from 10 ms to 1 hour).</param>
    public RegistryModelSource(Func<CancellationToken, Task<ModelRegistry>> openRegistry, string modelName, string alias, TimeSpan? pollInterval = null)
        : this(openRegistry, ownsRegistry: true, modelName, alias, pollInterval)
    {
    }

    private RegistryModelSource(Func<CancellationToken, Task<ModelRegistry>> openRegistry, bool ownsRegistry, string modelName, string alias, TimeSpan? pollInterval)
    {
        ArgumentNullException.ThrowIfNull(openRegistry);
        RegistryNames.ValidateModelName(modelName);
        ArgumentNullException.ThrowIfNull(alias);
        VersionSelector.ForAlias(alias);
        ValidatePollInterval(pollInterval);
        this.openRegistry = openRegistry;
        this.ownsRegistry = ownsRegistry;
        ModelName = modelName;
        Alias = alias;
        PollInterval = pollInterval ?? DefaultPollInterval;
    }

    /// <summary>The model's name in the registry.</summary>
    public string ModelName { get; }

    /// <summary>The alias followed.</summary>
    public string Alias { get; }

    /// <summary>How often the alias is checked.</summary>
    public TimeSpan PollInterval { get; }

    /// <inheritdoc/>
    public override string Description =>
        Volatile.Read(ref registry) is { } open ? $"registry {ModelName}@{Alias} ({open.Database.Location})" : $"registry {ModelName}@{Alias}";

    /// <inheritdoc/>
    public override string? WatchError => Volatile.Read(ref watcher)?.LastPollFailure is var (error, at)
        ? $"polling {Description} failed (last at {at:O}): {error.Message}"
        : null;

    /// <inheritdoc/>
    public override IChangeToken GetReloadToken()
    {
        lock (gate)
        {
            // The alias moved while no token was out (between a load and the pool asking for its next token): signal it once.
            if (watcher?.Current is { } latest && latest != attempted && latest != signalled)
            {
                signalled = latest;
                return AlreadyChanged;
            }
            tokenHandedOut = true;
            return new CancellationChangeToken(changed.Token);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="RegistryNotFoundException">The alias points to no version (it was never set, or was removed).</exception>
    /// <exception cref="ArtifactIntegrityException">The version's model.zip is missing or differs from what was registered.</exception>
    /// <exception cref="InvalidDataException">The version's model.zip is not a model ML.NET can load.</exception>
    public override async Task<ServedModel> LoadAsync(MLContext mlContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        var (open, aliasWatcher) = await StartAsync(cancellationToken).ConfigureAwait(false);
        var version = aliasWatcher.Current
            ?? throw new RegistryNotFoundException($"Alias '{Alias}' of model '{ModelName}' points to no version in the registry at {open.Database.Location}.");
        lock (gate)
            attempted = version;
        LoadedModel loaded;
        try
        {
            loaded = await open.LoadAsync(mlContext, version, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (RegistryException or OperationCanceledException))
        {
            throw new InvalidDataException($"{version.Reference} (alias '{Alias}') is not a model ML.NET can load: {e.Message}", e);
        }
        return new ServedModel(loaded.Model, loaded.InputSchema, version.Reference.ToString());
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (gate)
                disposed = true;
            watcher?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (ownsRegistry)
                registry?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }

    internal static void ValidatePollInterval(TimeSpan? pollInterval)
    {
        if (pollInterval is { } interval && (interval < TimeSpan.FromMilliseconds(10) || interval > TimeSpan.FromHours(1)))
            throw new ArgumentOutOfRangeException(nameof(pollInterval), interval, "pollInterval must be between 10 ms and 1 hour.");
    }

    private static Func<CancellationToken, Task<ModelRegistry>> OpenShared(ModelRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return _ => Task.FromResult(registry);
    }

    // The pool never loads one source concurrently, so the first load opens and starts everything without racing another.
    private async Task<(ModelRegistry Registry, AliasWatcher Watcher)> StartAsync(CancellationToken cancellationToken)
    {
        if (registry is { } open && watcher is { } started)
            return (open, started);
        open = registry ?? await openRegistry(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The registry factory for {ModelName}@{Alias} returned null.");
        Volatile.Write(ref registry, open);
        var aliasWatcher = open.WatchAlias(ModelName, Alias, PollInterval);
        aliasWatcher.Moved += OnAliasMoved;
        try
        {
            await aliasWatcher.StartAsync(cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                watcher = aliasWatcher;
            }
        }
        catch
        {
            await aliasWatcher.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return (open, aliasWatcher);
    }

    private void OnAliasMoved(object? sender, AliasMovedEventArgs e)
    {
        CancellationTokenSource fired;
        lock (gate)
        {
            if (disposed)
                return;
            if (tokenHandedOut)
            {
                signalled = e.Current;
                tokenHandedOut = false;
            }
            fired = changed;
            changed = new CancellationTokenSource();
        }
        // Not disposed afterwards: a consumer may still register on its token, which must then run at once.
        fired.Cancel();
    }
}
