using System.Text;

namespace MlNetDeep;

/// <summary>
/// Writes files so that a failure never loses the previous file: the content goes to a file beside the target
/// (<c>target + ".writing"</c>), is flushed to disk, and only then renamed over the target. When anything fails —
/// the writer throws, the disk is full — the partial file is removed and the target is left as it was.
/// MlNetDeep writes its models, ONNX files, checkpoints and reports this way.
/// </summary>
public static class SafeFile
{
    /// <summary>The suffix of the file written beside the target before it is renamed into place.</summary>
    public const string WritingSuffix = ".writing";

    /// <summary>Writes <paramref name="filePath"/> with <paramref name="write"/>, which receives the stream of the file beside it.</summary>
    /// <exception cref="IOException">The file could not be written; the message names it, and the previous file (if any) is unchanged.</exception>
    public static void Write(string filePath, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        ArgumentNullException.ThrowIfNull(write);
        var target = Path.GetFullPath(filePath);
        var folder = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write '{filePath}': its folder '{folder}' does not exist.");
        var writing = target + WritingSuffix;
        try
        {
            using (var stream = new FileStream(writing, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(writing, target, overwrite: true);
        }
        catch (Exception e)
        {
            try
            {
                File.Delete(writing);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The original failure matters more; a folder that vanished or turned read-only keeps the partial file away anyway.
            }
            if (e is IOException or UnauthorizedAccessException)
                throw new IOException($"Could not write '{filePath}' (a previous file there is unchanged): {e.Message}", e);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="filePath"/> (see <see cref="Write"/>).</summary>
    public static void WriteAllBytes(string filePath, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(filePath, stream => stream.Write(bytes));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark to <paramref name="filePath"/> (see <see cref="Write"/>).</summary>
    public static void WriteAllText(string filePath, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(filePath, new UTF8Encoding(false).GetBytes(text));
    }
}
