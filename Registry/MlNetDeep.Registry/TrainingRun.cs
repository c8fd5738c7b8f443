using System.Text.Json.Nodes;

namespace MlNetDeep.Registry;

/// <summary>Where a training run is.</summary>
public enum RunStatus
{
    /// <summary>Started and not ended (or the process died before ending it).</summary>
    Running,

    /// <summary>Ended normally.</summary>
    Finished,

    /// <summary>Ended with an error or was cancelled.</summary>
    Failed,
}

/// <summary>
/// A training run being logged as it goes (as MLflow's autolog does): its hyperparameters, one record per epoch and
/// checkpoint files. A version registered with <see cref="ModelVersionDetails.Run"/> links to it and takes its history
/// and hyperparameters unless given others. Start one with <see cref="ModelRegistry.StartRunAsync"/>.
/// </summary>
public sealed class TrainingRun
{
    private readonly ModelRegistry registry;

    internal TrainingRun(ModelRegistry registry, Guid id, string modelName)
    {
        this.registry = registry;
        Id = id;
        ModelName = modelName;
    }

    /// <summary>The run's identifier.</summary>
    public Guid Id { get; }

    /// <summary>The model it trains.</summary>
    public string ModelName { get; }

    /// <summary>Replaces the run's hyperparameters (an options object or JSON, see <see cref="HyperparameterJson.From"/>).</summary>
    public async Task SetHyperparametersAsync(object hyperparameters, CancellationToken cancellationToken = default) =>
        Found(await registry.Store.SetRunHyperparametersAsync(Id, HyperparameterJson.From(hyperparameters).ToJsonString(HyperparameterJson.SerializerOptions), cancellationToken).ConfigureAwait(false));

    /// <summary>Records epoch <paramref name="epoch"/> (any object with public properties, or JSON); logging an epoch again replaces it, as a resumed run does.</summary>
    public async Task LogEpochAsync(int epoch, object record, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        var json = HyperparameterJson.ToNode(record) as JsonObject
            ?? throw new ArgumentException($"An epoch record must be an object with named values; got {record?.GetType().Name ?? "null"}.", nameof(record));
        Found(await registry.Store.LogEpochAsync(Id, epoch, json.ToJsonString(HyperparameterJson.SerializerOptions), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Stores the file at <paramref name="path"/> as the run's artifact <paramref name="name"/> (e.g. a checkpoint).</summary>
    public async Task<ArtifactReference> LogFileAsync(string name, string path, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateArtifactName(name);
        var stored = await registry.PutFileAsync(path, cancellationToken).ConfigureAwait(false);
        Found(await registry.Store.LogRunArtifactAsync(Id, name, stored.Sha256, stored.Size, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false));
        return new ArtifactReference(name, stored.Sha256, stored.Size);
    }

    /// <summary>Marks the run finished or failed.</summary>
    public async Task EndAsync(RunStatus status = RunStatus.Finished, CancellationToken cancellationToken = default)
    {
        if (status == RunStatus.Running)
            throw new ArgumentException("A run ends as Finished or Failed.", nameof(status));
        Found(await registry.Store.EndRunAsync(Id, status, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false));
    }

    private void Found(int rows)
    {
        if (rows == 0)
            throw new RegistryNotFoundException($"There is no training run {Id} in the registry at {registry.Database.Location}.");
    }

    /// <summary>Reads what the run has logged so far.</summary>
    public Task<TrainingRunInfo> GetInfoAsync(CancellationToken cancellationToken = default) => registry.Store.GetRunAsync(Id, cancellationToken);
}

/// <summary>What a training run has logged.</summary>
public sealed record TrainingRunInfo
{
    /// <summary>The run's identifier.</summary>
    public required Guid Id { get; init; }

    /// <summary>The model it trains.</summary>
    public required string ModelName { get; init; }

    /// <summary>Running, finished or failed.</summary>
    public required RunStatus Status { get; init; }

    /// <summary>Who started it.</summary>
    public required string StartedBy { get; init; }

    /// <summary>When it started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended, or null.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Its hyperparameters, or null.</summary>
    public JsonObject? Hyperparameters { get; init; }

    /// <summary>Where it ran.</summary>
    public EnvironmentInfo? Environment { get; init; }

    /// <summary>One record per logged epoch, in epoch order.</summary>
    public required IReadOnlyList<JsonObject> Epochs { get; init; }

    /// <summary>Its files (checkpoints).</summary>
    public required IReadOnlyList<ArtifactReference> Artifacts { get; init; }
}
