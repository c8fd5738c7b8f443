using System.Globalization;
using System.Text.Json.Nodes;

namespace MlNetDeep.Registry;

/// <summary>Where a version is in its life.</summary>
public enum VersionStatus
{
    /// <summary>Usable: listed, loadable, can carry aliases.</summary>
    Active,

    /// <summary>Kept with its artifacts and still loadable by number, but hidden from lists by default and never aliased.</summary>
    Archived,

    /// <summary>Its metadata stays for lineage and audit; its artifacts are no longer referenced, so garbage collection removes them.</summary>
    Deleted,
}

/// <summary>How a version was derived from its parent.</summary>
public enum LineageKind
{
    /// <summary>Trained further from the parent's weights.</summary>
    FineTuned,

    /// <summary>The parent with lower-precision weights (e.g. INT8).</summary>
    Quantized,

    /// <summary>The parent with weights or units removed.</summary>
    Pruned,

    /// <summary>A student trained to imitate a teacher (<see cref="Lineage.Teacher"/>); the parent is the student's starting point, often the teacher itself.</summary>
    Distilled,

    /// <summary>Derived from the parent in another way (converted, retrained on new data, …).</summary>
    Derived,
}

/// <summary>A version of a model: "name@3".</summary>
public sealed record VersionReference(string ModelName, int Version)
{
    /// <inheritdoc />
    public override string ToString() => $"{ModelName}@{Version.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Where a version came from: its parent, how it was derived, and for distilled models the teacher.</summary>
public sealed record Lineage(VersionReference Parent, LineageKind Kind, VersionReference? Teacher = null);

/// <summary>A stored file of a version, addressed by the SHA-256 of its content.</summary>
/// <param name="Name">The file's name within the version, e.g. model.zip.</param>
/// <param name="Sha256">The lower-case hexadecimal SHA-256 of the content.</param>
/// <param name="Size">The content's length in bytes.</param>
public sealed record ArtifactReference(string Name, string Sha256, long Size);

/// <summary>The facts of a version that lists and searches return.</summary>
public record ModelVersionSummary
{
    /// <summary>The model's name.</summary>
    public required string ModelName { get; init; }

    /// <summary>The version number: 1, 2, … per model, never reused.</summary>
    public required int Version { get; init; }

    /// <summary>Active, archived or deleted.</summary>
    public required VersionStatus Status { get; init; }

    /// <summary>A free-text description, or null.</summary>
    public string? Description { get; init; }

    /// <summary>Who registered it.</summary>
    public required string RegisteredBy { get; init; }

    /// <summary>When it was registered (UTC).</summary>
    public required DateTimeOffset RegisteredAt { get; init; }

    /// <summary>The aliases that point to it, sorted.</summary>
    public required IReadOnlyList<string> Aliases { get; init; }

    /// <summary>Its tags.</summary>
    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    /// <summary>
    /// In a full <see cref="ModelVersion"/>: every metric. In a search result: the metrics the query asked for
    /// (<see cref="VersionQuery.OrderByMetric"/>, <see cref="VersionQuery.IncludeMetrics"/>), when the version has them.
    /// </summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>"name@version".</summary>
    public VersionReference Reference => new(ModelName, Version);
}

/// <summary>Everything the registry knows about a version.</summary>
public sealed record ModelVersion : ModelVersionSummary
{
    /// <summary>The trainer's options and other hyperparameters as JSON, or null.</summary>
    public JsonObject? Hyperparameters { get; init; }

    /// <summary>The pipeline's steps, or null when not recorded.</summary>
    public PipelineDescription? Pipeline { get; init; }

    /// <summary>The training data's fingerprint, or null.</summary>
    public DataFingerprint? TrainingData { get; init; }

    /// <summary>The evaluation data's fingerprint, or null.</summary>
    public DataFingerprint? EvaluationData { get; init; }

    /// <summary>Packages, OS, CPU/GPU and seed of the registering process, or null.</summary>
    public EnvironmentInfo? Environment { get; init; }

    /// <summary>The training history: one JSON object per epoch.</summary>
    public required IReadOnlyList<JsonObject> History { get; init; }

    /// <summary>Named reports (evaluation reports, confusion matrices, …) as JSON.</summary>
    public required JsonObject Reports { get; init; }

    /// <summary>The parent (and teacher) it was derived from, or null.</summary>
    public Lineage? Lineage { get; init; }

    /// <summary>The training run that produced it, or null.</summary>
    public Guid? RunId { get; init; }

    /// <summary>Its stored files; <c>model.zip</c> is the ML.NET model. Empty for deleted versions.</summary>
    public required IReadOnlyList<ArtifactReference> Artifacts { get; init; }

    /// <summary>The ML.NET model file, or null for a deleted version.</summary>
    public ArtifactReference? ModelArtifact => Artifacts.FirstOrDefault(a => a.Name == ModelRegistry.ModelArtifactName);
}

/// <summary>A registered model: a name and its versions.</summary>
public sealed record RegisteredModel
{
    /// <summary>The model's name.</summary>
    public required string Name { get; init; }

    /// <summary>When its first version (or run) was recorded.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When a version was last registered, or an alias last moved.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The newest active version, or null when it has none.</summary>
    public int? LatestVersion { get; init; }

    /// <summary>The number of active versions.</summary>
    public required int ActiveVersions { get; init; }

    /// <summary>Its aliases and the versions they point to.</summary>
    public required IReadOnlyDictionary<string, int> Aliases { get; init; }
}

/// <summary>One move of an alias: the audit trail.</summary>
public sealed record AliasChange
{
    /// <summary>The model's name.</summary>
    public required string ModelName { get; init; }

    /// <summary>The alias.</summary>
    public required string Alias { get; init; }

    /// <summary>The version it pointed to before, or null when it was new.</summary>
    public int? FromVersion { get; init; }

    /// <summary>The version it points to since, or null when it was removed.</summary>
    public int? ToVersion { get; init; }

    /// <summary>Who moved it.</summary>
    public required string Actor { get; init; }

    /// <summary>When (UTC).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Why, as given.</summary>
    public string? Reason { get; init; }
}

/// <summary>A version picked by number or alias, with what loading it needs: the identity of its model file.</summary>
public sealed record ResolvedVersion(string ModelName, int Version, ArtifactReference ModelArtifact)
{
    /// <summary>"name@version".</summary>
    public VersionReference Reference => new(ModelName, Version);
}
