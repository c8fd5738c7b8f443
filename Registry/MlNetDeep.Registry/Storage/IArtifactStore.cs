namespace MlNetDeep.Registry.Storage;

/// <summary>A stored content blob, named by the SHA-256 of its bytes.</summary>
/// <param name="Sha256">Lower-case hexadecimal SHA-256 of the content.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="LastWritten">When it was last written (a repeated upload of the same content renews it).</param>
public sealed record StoredArtifact(string Sha256, long Size, DateTimeOffset LastWritten);

/// <summary>
/// Where artifact bytes live, addressed by content (SHA-256). The registry writes through <see cref="PutAsync"/>, which
/// must make content visible only once complete (write to a temporary name, flush, then rename or commit), and verifies
/// every read itself. <see cref="FileArtifactStore"/> keeps them in a folder; a blob store can implement the same five
/// operations.
/// </summary>
public interface IArtifactStore
{
    /// <summary>A description for messages, e.g. the folder.</summary>
    string Location { get; }

    /// <summary>
    /// Lets <paramref name="write"/> write the content to a stream, then stores it under its SHA-256 once complete and
    /// durable. Storing content that is already there replaces it (and renews its <see cref="StoredArtifact.LastWritten"/>).
    /// </summary>
    Task<StoredArtifact> PutAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default);

    /// <summary>Opens the content stored under <paramref name="sha256"/> for reading.</summary>
    /// <exception cref="FileNotFoundException">Nothing is stored under that hash.</exception>
    Task<Stream> OpenReadAsync(string sha256, CancellationToken cancellationToken = default);

    /// <summary>Every stored artifact.</summary>
    IAsyncEnumerable<StoredArtifact> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes the content stored under <paramref name="sha256"/>, if any, unless it was written after <paramref name="writtenBefore"/>.</summary>
    /// <returns>Whether it was removed.</returns>
    Task<bool> DeleteAsync(string sha256, DateTimeOffset writtenBefore, CancellationToken cancellationToken = default);

    /// <summary>Removes uploads that never completed (a writer killed mid-write) and were last written before <paramref name="writtenBefore"/>; with <paramref name="dryRun"/> only counts them.</summary>
    /// <returns>How many there were.</returns>
    Task<int> DeleteAbandonedUploadsAsync(DateTimeOffset writtenBefore, bool dryRun = false, CancellationToken cancellationToken = default);
}
