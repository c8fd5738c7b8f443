using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry;

public sealed partial class ModelRegistry
{
    /// <summary>Points <paramref name="alias"/> (e.g. production) at <paramref name="version"/> and records who, when, from which version and why.</summary>
    /// <exception cref="RegistryConflictException">The version is archived or deleted.</exception>
    /// <exception cref="RegistryPermissionException">The database role may not change the registry.</exception>
    public Task<AliasChange> SetAliasAsync(string modelName, string alias, int version, string? reason = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        RegistryNames.ValidateAlias(alias);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        RegistryNames.ValidateText(reason, 1000, nameof(reason));
        return Store.SetAliasAsync(modelName, alias, version, Actor, DateTimeOffset.UtcNow, reason, cancellationToken);
    }

    /// <summary>Removes <paramref name="alias"/>, recording who, when and why.</summary>
    public Task<AliasChange> RemoveAliasAsync(string modelName, string alias, string? reason = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        RegistryNames.ValidateAlias(alias);
        RegistryNames.ValidateText(reason, 1000, nameof(reason));
        return Store.RemoveAliasAsync(modelName, alias, Actor, DateTimeOffset.UtcNow, reason, cancellationToken);
    }

    /// <summary>Every move of the model's aliases (or of one alias), oldest first.</summary>
    public Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string modelName, string? alias = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        if (alias is not null)
            RegistryNames.ValidateAlias(alias);
        return Store.AliasHistoryAsync(modelName, alias, cancellationToken);
    }

    /// <summary>
    /// Watches which version <paramref name="alias"/> of <paramref name="modelName"/> points to, polling every
    /// <paramref name="pollInterval"/>: the extension point for serving that reloads when an alias moves.
    /// </summary>
    public AliasWatcher WatchAlias(string modelName, string alias, TimeSpan pollInterval)
    {
        RegistryNames.ValidateModelName(modelName);
        return new AliasWatcher(this, modelName, VersionSelector.ForAlias(alias), pollInterval);
    }

    /// <summary>Archives a version: hidden from lists, kept loadable by number; refused while an alias points to it.</summary>
    public Task ArchiveAsync(string modelName, int version, CancellationToken cancellationToken = default) => SetStatusAsync(modelName, version, VersionStatus.Archived, cancellationToken);

    /// <summary>Makes an archived version active again.</summary>
    public Task RestoreAsync(string modelName, int version, CancellationToken cancellationToken = default) => SetStatusAsync(modelName, version, VersionStatus.Active, cancellationToken);

    /// <summary>
    /// Deletes a version: its metadata stays (lineage, audit), its number is never reused, and its files become garbage
    /// unless another version or run references the same content. Refused while an alias points to it.
    /// </summary>
    public Task DeleteAsync(string modelName, int version, CancellationToken cancellationToken = default) => SetStatusAsync(modelName, version, VersionStatus.Deleted, cancellationToken);

    /// <summary>
    /// Removes stored files no version or run references and abandoned uploads, when they were written more than
    /// <paramref name="minimumAge"/> ago (a registration in progress has written its files but not yet committed: keep
    /// the age above the longest registration; an hour by default in the CLI).
    /// </summary>
    public async Task<GarbageCollectionResult> CollectGarbageAsync(TimeSpan minimumAge, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumAge, TimeSpan.Zero);
        var writtenBefore = DateTimeOffset.UtcNow - minimumAge;
        var referenced = await Store.ReferencedArtifactsAsync(cancellationToken).ConfigureAwait(false);
        var deleted = new List<StoredArtifact>();
        int kept = 0, recent = 0;
        await foreach (var artifact in Artifacts.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (referenced.Contains(artifact.Sha256))
                kept++;
            else if (artifact.LastWritten >= writtenBefore)
                recent++;
            else if (dryRun || await Artifacts.DeleteAsync(artifact.Sha256, writtenBefore, cancellationToken).ConfigureAwait(false))
                deleted.Add(artifact);
            else
                recent++;
        }
        var uploads = await Artifacts.DeleteAbandonedUploadsAsync(writtenBefore, dryRun, cancellationToken).ConfigureAwait(false);
        return new GarbageCollectionResult(dryRun, deleted, kept, recent, uploads);
    }

    /// <summary>Starts a training run of <paramref name="modelName"/>, to log epochs and checkpoints as it goes.</summary>
    /// <param name="modelName">The model the run trains.</param>
    /// <param name="hyperparameters">The trainer's options or other hyperparameters (see <see cref="HyperparameterJson.From"/>), or null.</param>
    /// <param name="environment">Where it runs. Default: captured from this process.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task<TrainingRun> StartRunAsync(string modelName, object? hyperparameters = null, EnvironmentInfo? environment = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        var json = hyperparameters is null ? null : HyperparameterJson.From(hyperparameters).ToJsonString(HyperparameterJson.SerializerOptions);
        var id = Guid.NewGuid();
        await Store.StartRunAsync(id, modelName, Actor, DateTimeOffset.UtcNow, json,
            MetadataStore.Serialize(environment ?? EnvironmentInfo.Capture()), cancellationToken).ConfigureAwait(false);
        return new TrainingRun(this, id, modelName);
    }

    /// <summary>Takes up run <paramref name="runId"/> again (a resumed Fit), marking it running.</summary>
    /// <exception cref="RegistryNotFoundException">There is no such run.</exception>
    public async Task<TrainingRun> ResumeRunAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        var info = await Store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        await Store.ResumeRunAsync(runId, cancellationToken).ConfigureAwait(false);
        return new TrainingRun(this, runId, info.ModelName);
    }

    /// <summary>What run <paramref name="runId"/> has logged.</summary>
    public Task<TrainingRunInfo> GetRunAsync(Guid runId, CancellationToken cancellationToken = default) => Store.GetRunAsync(runId, cancellationToken);


    private Task SetStatusAsync(string modelName, int version, VersionStatus status, CancellationToken cancellationToken)
    {
        RegistryNames.ValidateModelName(modelName);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        return Store.SetStatusAsync(modelName, version, status, DateTimeOffset.UtcNow, cancellationToken);
    }
}
