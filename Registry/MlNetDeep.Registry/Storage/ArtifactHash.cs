using System.Security.Cryptography;

namespace MlNetDeep.Registry.Storage;

/// <summary>SHA-256 content hashes as the registry writes them: 64 lower-case hexadecimal digits.</summary>
public static class ArtifactHash
{
    /// <summary>Whether <paramref name="sha256"/> is 64 lower-case hexadecimal digits.</summary>
    public static bool IsValid(string? sha256) => sha256 is { Length: 64 } && sha256.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="sha256"/> is a valid hash (which also keeps it from naming a path).</summary>
    public static void Validate(string sha256)
    {
        if (!IsValid(sha256))
            throw new ArgumentException($"'{sha256}' is not a SHA-256 hash (64 lower-case hexadecimal digits).", nameof(sha256));
    }

    /// <summary>
    /// Reads all of <paramref name="content"/> into memory and checks it against <paramref name="expectedSha256"/>, so what
    /// is returned is exactly what was hashed (no window for the file to change between check and use).
    /// </summary>
    /// <exception cref="ArtifactIntegrityException">The content's hash or length differs.</exception>
    public static async Task<MemoryStream> ReadVerifiedAsync(Stream content, string expectedSha256, long expectedSize, string description, CancellationToken cancellationToken = default)
    {
        byte[] bytes;
        int length;
        if (content.CanSeek && content.Length - content.Position is var remaining and < int.MaxValue)
        {
            // One read of the known length: no growing buffer, no copy.
            bytes = new byte[remaining];
            await content.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            length = bytes.Length;
        }
        else
        {
            var buffer = new MemoryStream(expectedSize is > 0 and < int.MaxValue ? (int)expectedSize : 0);
            await content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            bytes = buffer.GetBuffer();
            length = (int)buffer.Length;
        }
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(0, length)));
        if (actual != expectedSha256 || length != expectedSize)
        {
            throw new ArtifactIntegrityException(
                $"{description} was changed or damaged after registration: its SHA-256 is {actual} ({length} bytes), but {expectedSha256} ({expectedSize} bytes) was registered. Refusing to load it; restore the file from a backup or register the model again.");
        }
        return new MemoryStream(bytes, 0, length, writable: false, publiclyVisible: true);
    }
}
