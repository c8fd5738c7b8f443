namespace MlNetDeep.Serving;

/// <summary>What one served model is doing, for health reports and admin pages.</summary>
/// <param name="ModelName">The model's name; empty for the default model.</param>
/// <param name="Source">Where the model comes from (<see cref="ModelSource.Description"/>).</param>
/// <param name="Version">The version serving now.</param>
/// <param name="LoadedAt">When that version was swapped in.</param>
/// <param name="Reloads">How many times a new version was swapped in since the pool started.</param>
/// <param name="LastReloadError">The last failed reload's error, or null when none failed.</param>
/// <param name="LastReloadErrorAt">When the last reload failed, or null.</param>
/// <param name="SourceWatchError">Why the source cannot currently see newer models (<see cref="ModelSource.WatchError"/>), or null.</param>
public sealed record ModelStatus(
    string ModelName,
    string Source,
    string Version,
    DateTimeOffset LoadedAt,
    int Reloads,
    string? LastReloadError,
    DateTimeOffset? LastReloadErrorAt,
    string? SourceWatchError)
{
    /// <summary>Whether the last reload attempt failed, so that an older version than the source holds is serving.</summary>
    public bool IsServingStaleVersion => LastReloadErrorAt is { } failedAt && failedAt >= LoadedAt;
}

/// <summary>Says that a model was replaced by a new version.</summary>
/// <param name="modelName">The model's name; empty for the default model.</param>
/// <param name="version">The version serving from now on.</param>
/// <param name="previousVersion">The version it replaced.</param>
public sealed class ModelReloadedEventArgs(string modelName, string version, string previousVersion) : EventArgs
{
    /// <summary>The model's name; empty for the default model.</summary>
    public string ModelName { get; } = modelName;

    /// <summary>The version serving from now on.</summary>
    public string Version { get; } = version;

    /// <summary>The version it replaced.</summary>
    public string PreviousVersion { get; } = previousVersion;
}
