using Microsoft.Extensions.Primitives;
using Microsoft.ML;

namespace MlNetDeep.Serving;

/// <summary>
/// Where a served model comes from: it loads the current model and signals when a newer one may be there.
/// <see cref="FileModelSource"/> is one; a model registry or a blob store is another. A pool calls
/// <see cref="LoadAsync"/> once at start and again, on a background thread, each time the token from
/// <see cref="GetReloadToken"/> fires; it checks the result and swaps it in, or keeps the model it has when loading throws.
/// </summary>
/// <remarks>
/// Add a source to a pool with <see cref="PredictionEnginePoolBuilder{TData, TPrediction}.FromSource(string, Func{IServiceProvider, ModelSource})"/>.
/// A pool never calls <see cref="LoadAsync"/> of one source concurrently, and disposes the source with itself.
/// </remarks>
public abstract class ModelSource : IDisposable
{
    /// <summary>What the model comes from, for logs and health reports (for example <c>file /srv/models/model.zip</c>).</summary>
    public abstract string Description { get; }

    /// <summary>
    /// A token that fires when the source may hold a new model. Each call returns the token for the next change; return
    /// <c>new CancellationChangeToken(CancellationToken.None)</c> from a source that never changes.
    /// </summary>
    public abstract IChangeToken GetReloadToken();

    /// <summary>
    /// Loads the source's current model. Throw (with a message that names what was read) when it cannot be loaded; the
    /// pool logs the error and keeps serving the model it has.
    /// </summary>
    /// <param name="mlContext">The context to load with (<see cref="MLOptions.MLContext"/>).</param>
    /// <param name="cancellationToken">Cancelled when the pool is disposed.</param>
    /// <returns>The model, its input schema and a version that identifies it; the pool owns and disposes the model.</returns>
    public abstract Task<LoadedModel> LoadAsync(MLContext mlContext, CancellationToken cancellationToken);

    /// <summary>
    /// Why the source cannot tell at the moment whether a newer model is there (for example: the registry it polls cannot
    /// be reached), or null when it can. The served version keeps serving meanwhile; the pool's health check reports the
    /// model as Degraded with this text.
    /// </summary>
    public virtual string? WatchError => null;

    /// <summary>Stops watching for changes.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the source holds (watchers, timers, connections).</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>A model as a <see cref="ModelSource"/> loaded it.</summary>
/// <param name="Model">The fitted model; the pool disposes it once it is replaced and no request uses it any more.</param>
/// <param name="InputSchema">The input schema saved with the model.</param>
/// <param name="Version">
/// What identifies this model in logs, health reports and <see cref="ModelReloadedEventArgs"/>: a content hash for a file,
/// a registry version for a registry.
/// </param>
public sealed record LoadedModel(ITransformer Model, DataViewSchema InputSchema, string Version);
