using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry.Sqlite;

/// <summary>
/// Opens a registry kept in one folder: <c>registry.db</c> (SQLite, write-ahead log) and <c>artifacts/</c> (the
/// content-addressed files). Several processes can use the same folder at once.
/// </summary>
public static class SqliteRegistry
{
    /// <summary>The database file's name inside the registry folder.</summary>
    public const string DatabaseFileName = "registry.db";

    /// <summary>The artifact folder's name inside the registry folder.</summary>
    public const string ArtifactFolderName = "artifacts";

    /// <summary>Opens (and, unless <paramref name="readOnly"/>, creates or migrates) the registry in <paramref name="folder"/>.</summary>
    /// <param name="folder">The registry folder.</param>
    /// <param name="readOnly">Open the database read-only: nothing can be registered or promoted, and a missing registry is an error rather than created.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="RegistryNotFoundException"><paramref name="readOnly"/> is set and there is no registry in the folder.</exception>
    public static Task<ModelRegistry> OpenAsync(string folder, bool readOnly = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var full = Path.GetFullPath(folder);
        var databasePath = Path.Combine(full, DatabaseFileName);
        if (readOnly && !File.Exists(databasePath))
            throw new RegistryNotFoundException($"There is no registry in '{full}' ({DatabaseFileName} does not exist).");
        if (!readOnly)
            Directory.CreateDirectory(full);
        return ModelRegistry.OpenAsync(new SqliteRegistryDatabase(databasePath, readOnly), new FileArtifactStore(Path.Combine(full, ArtifactFolderName)), cancellationToken);
    }
}
