using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace MlNetDeep.Registry.Storage;

/// <summary>
/// Artifacts in a folder: <c>sha256/ab/abcdef…</c> (the hash, fanned out by its first two digits). Uploads are written
/// to <c>uploads/&lt;random&gt;.tmp</c>, flushed to disk, then renamed into place, so a reader never sees a partial file and
/// a writer killed mid-way leaves only a temporary file that garbage collection removes.
/// </summary>
public sealed class FileArtifactStore : IArtifactStore
{
    private const string ContentFolder = "sha256";
    private const string UploadFolder = "uploads";

    /// <summary>Uses (and creates on first write) the folder <paramref name="root"/>.</summary>
    public FileArtifactStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <inheritdoc />
    public string Location => Root;

    /// <summary>The path of the content stored under <paramref name="sha256"/>.</summary>
    public string PathOf(string sha256)
    {
        ArtifactHash.Validate(sha256);
        return Path.Combine(Root, ContentFolder, sha256[..2], sha256);
    }

    /// <inheritdoc />
    public async Task<StoredArtifact> PutAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        var uploads = Path.Combine(Root, UploadFolder);
        Directory.CreateDirectory(uploads);
        var temporary = Path.Combine(uploads, $"{Guid.NewGuid():N}.tmp");
        try
        {
            string sha256;
            long size;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                await using var hashing = new HashingWriteStream(file);
                await write(hashing, cancellationToken).ConfigureAwait(false);
                await hashing.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                (sha256, size) = (hashing.HashHex(), hashing.Length);
            }
            var target = PathOf(sha256);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(temporary, target, overwrite: true);
            return new StoredArtifact(sha256, size, File.GetLastWriteTimeUtc(target));
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var path = PathOf(sha256);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No artifact {sha256} in {Root}.", path);
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1 << 16));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredArtifact> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var content = new DirectoryInfo(Path.Combine(Root, ContentFolder));
        if (!content.Exists)
            yield break;
        foreach (var file in content.EnumerateFiles("*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ArtifactHash.IsValid(file.Name) && file.Directory?.Name == file.Name[..2])
                yield return new StoredArtifact(file.Name, file.Length, file.LastWriteTimeUtc);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string sha256, DateTimeOffset writtenBefore, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(sha256));
        if (!file.Exists || file.LastWriteTimeUtc >= writtenBefore.UtcDateTime)
            return Task.FromResult(false);
        file.Delete();
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<int> DeleteAbandonedUploadsAsync(DateTimeOffset writtenBefore, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        var uploads = new DirectoryInfo(Path.Combine(Root, UploadFolder));
        if (!uploads.Exists)
            return Task.FromResult(0);
        var removed = 0;
        foreach (var file in uploads.EnumerateFiles("*.tmp"))
        {
            if (file.LastWriteTimeUtc < writtenBefore.UtcDateTime)
            {
                if (!dryRun)
                    file.Delete();
                removed++;
            }
        }
        return Task.FromResult(removed);
    }

    /// <summary>A write-only stream that hashes what passes through it.</summary>
    private sealed class HashingWriteStream(Stream inner) : Stream
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long length;

        public string HashHex() => Convert.ToHexStringLower(hash.GetHashAndReset());

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => length;

        public override long Position
        {
            get => length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
            length += buffer.Length;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            length += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
