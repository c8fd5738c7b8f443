using System.IO.Compression;
using Microsoft.ML;

namespace MlNetDeep;

/// <summary>
/// Saving and loading model.zip files with the guarantees ML.NET's own <c>ml.Model.Save</c> and <c>ml.Model.Load</c>
/// lack: <c>Save</c> truncates an existing file before writing, so a failed save over a good model destroys it, and
/// <c>Load</c> reports a corrupt, truncated or foreign file without naming it ("Failed to open a zip archive", "Could not
/// load legacy format model"). These work on any ML.NET model, MlNetDeep's or not.
/// </summary>
public static class ModelFileCatalog
{
    /// <summary>
    /// Saves <paramref name="model"/> like <c>ml.Model.Save</c>, but never loses the file already at
    /// <paramref name="filePath"/>: the model is written beside it, flushed to disk, then renamed over it (<see cref="SafeFile"/>).
    /// </summary>
    /// <param name="catalog">The model catalog (<c>ml.Model</c>).</param>
    /// <param name="model">The fitted model.</param>
    /// <param name="inputSchema">The schema of the model's input (e.g. <c>trainData.Schema</c>), or null.</param>
    /// <param name="filePath">The model.zip to write.</param>
    /// <exception cref="IOException">The file could not be written; the previous file is unchanged.</exception>
    public static void SaveSafely(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        SafeFile.Write(filePath, stream => catalog.Save(model, inputSchema, stream));
    }

    /// <summary>
    /// Loads a model.zip like <c>ml.Model.Load</c>, but a file that cannot be loaded gives an error naming the file and the
    /// problem: missing, not a zip archive (truncated, corrupt or another kind of file), a zip archive without an ML.NET model,
    /// a damaged entry, or ML.NET's own reason (for instance an assembly the model needs that is not loaded).
    /// </summary>
    /// <param name="catalog">The model catalog (<c>ml.Model</c>).</param>
    /// <param name="filePath">The model.zip to read.</param>
    /// <param name="inputSchema">The schema the model was saved with.</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a loadable ML.NET model; the message names it and says why.</exception>
    public static ITransformer LoadChecked(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var fullPath = Path.GetFullPath(filePath);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"Model file '{filePath}' does not exist.", fullPath);
        try
        {
            return catalog.Load(fullPath, out inputSchema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Model file '{filePath}' cannot be loaded: {Diagnose(fullPath, e)}", e);
        }
    }

    /// <summary>Why ML.NET could not load the file, looked for after the failure so that no loadable model is ever refused.</summary>
    private static string Diagnose(string fullPath, Exception failure)
    {
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(fullPath);
        }
        catch (InvalidDataException e)
        {
            return $"it is not a readable zip archive, so it is truncated, corrupt or another kind of file ({e.Message})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"it cannot be read ({e.Message})";
        }
        using (archive)
        {
            if (!archive.Entries.Any(e => e.FullName.StartsWith("TransformerChain/", StringComparison.Ordinal)))
            {
                var names = archive.Entries.Take(5).Select(e => e.FullName).ToArray();
                return $"it is a zip archive but holds no ML.NET model (no TransformerChain entry; it has {archive.Entries.Count} entries" +
                    (names.Length > 0 ? $", such as {string.Join(", ", names)})" : ")");
            }
            foreach (var entry in archive.Entries)
            {
                try
                {
                    using var stream = entry.Open();
                    stream.CopyTo(Stream.Null);
                }
                catch (InvalidDataException e)
                {
                    return $"its entry '{entry.FullName}' is damaged ({e.Message})";
                }
            }
        }
        return $"ML.NET could not read the model in it: {failure.Message}";
    }
}
