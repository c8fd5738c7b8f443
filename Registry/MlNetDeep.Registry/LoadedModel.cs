using Microsoft.ML;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry;

/// <summary>A version loaded into an ITransformer. Dispose it to release what the model holds (ONNX sessions).</summary>
public sealed class LoadedModel(ResolvedVersion version, ITransformer model, DataViewSchema inputSchema) : IDisposable
{
    /// <summary>The version loaded.</summary>
    public ResolvedVersion Version { get; } = version;

    /// <summary>The model.</summary>
    public ITransformer Model { get; } = model;

    /// <summary>The input schema saved with the model.</summary>
    public DataViewSchema InputSchema { get; } = inputSchema;

    /// <inheritdoc />
    public void Dispose() => (Model as IDisposable)?.Dispose();
}

/// <summary>What garbage collection removed (or, in a dry run, would remove).</summary>
/// <param name="DryRun">Whether nothing was removed.</param>
/// <param name="DeletedArtifacts">Stored files no version or run referenced.</param>
/// <param name="ReferencedArtifacts">Stored files kept because something references them.</param>
/// <param name="RecentArtifacts">Unreferenced files kept because they are younger than the minimum age.</param>
/// <param name="AbandonedUploads">Temporary files of uploads that never completed.</param>
public sealed record GarbageCollectionResult(bool DryRun, IReadOnlyList<StoredArtifact> DeletedArtifacts, int ReferencedArtifacts, int RecentArtifacts, int AbandonedUploads)
{
    /// <summary>The bytes the deleted artifacts took.</summary>
    public long DeletedBytes => DeletedArtifacts.Sum(a => a.Size);
}
