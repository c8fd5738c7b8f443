using System.Text.Json;
using Microsoft.ML;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry;

public sealed partial class ModelRegistry
{
    /// <summary>All models, by name, with their newest active version and aliases.</summary>
    public Task<IReadOnlyList<RegisteredModel>> ListModelsAsync(CancellationToken cancellationToken = default) => Store.ListModelsAsync(null, cancellationToken);

    /// <summary>One model, with its newest active version and aliases.</summary>
    /// <exception cref="RegistryNotFoundException">There is no model of that name.</exception>
    public async Task<RegisteredModel> GetModelAsync(string modelName, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        return (await Store.ListModelsAsync(modelName, cancellationToken).ConfigureAwait(false)).SingleOrDefault()
            ?? throw new RegistryNotFoundException($"There is no model named '{modelName}' in the registry at {Database.Location}.");
    }

    /// <summary>Versions that match <paramref name="query"/>, in its order; without metrics unless it asks for some.</summary>
    public Task<IReadOnlyList<ModelVersionSummary>> SearchAsync(VersionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return Store.SearchAsync(query, cancellationToken);
    }

    /// <summary>The active version of <paramref name="modelName"/> with the best <paramref name="metric"/> (and all <paramref name="tags"/>), or null when none has it.</summary>
    public async Task<ModelVersionSummary?> FindBestAsync(string modelName, string metric, bool highestIsBest = true, IReadOnlyDictionary<string, string?>? tags = null, CancellationToken cancellationToken = default)
    {
        var query = new VersionQuery { ModelName = modelName, OrderByMetric = metric, HighestFirst = highestIsBest, Limit = 1 };
        foreach (var (key, value) in tags ?? new Dictionary<string, string?>())
            query.Tags[key] = value;
        return (await SearchAsync(query, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <summary>The version a number, alias or "latest" picks, with its model file's identity.</summary>
    /// <exception cref="RegistryNotFoundException">No such model, version or alias, or the version was deleted.</exception>
    public Task<ResolvedVersion> ResolveAsync(string modelName, VersionSelector selector, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        return Store.ResolveAsync(modelName, selector, cancellationToken);
    }

    /// <summary>Everything recorded about a version.</summary>
    /// <exception cref="RegistryNotFoundException">No such model, version or alias.</exception>
    public async Task<ModelVersion> GetVersionAsync(string modelName, VersionSelector selector, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        var number = selector.Number ?? (await Store.ResolveAsync(modelName, selector, cancellationToken).ConfigureAwait(false)).Version;
        return await Store.GetVersionAsync(modelName, number, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads a version into an ITransformer: resolves it, reads its model.zip into memory, checks the bytes against the
    /// registered SHA-256 and hands exactly those bytes to ML.NET.
    /// </summary>
    /// <exception cref="ArtifactIntegrityException">The stored file is missing or differs from what was registered.</exception>
    public async Task<LoadedModel> LoadAsync(MLContext mlContext, string modelName, VersionSelector selector, CancellationToken cancellationToken = default)
    {
        var version = await ResolveAsync(modelName, selector, cancellationToken).ConfigureAwait(false);
        return await LoadAsync(mlContext, version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads an already resolved version (see <see cref="ResolveAsync"/>, <see cref="WatchAlias"/>).</summary>
    public async Task<LoadedModel> LoadAsync(MLContext mlContext, ResolvedVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(version);
        await using var content = await OpenArtifactAsync(version.ModelArtifact, $"{ModelArtifactName} of {version.Reference}", cancellationToken).ConfigureAwait(false);
        var model = mlContext.Model.Load(content, out var inputSchema);
        return new LoadedModel(version, model, inputSchema);
    }

    /// <summary>The content of <paramref name="artifact"/>, in memory, after checking it against its registered hash and size.</summary>
    /// <exception cref="ArtifactIntegrityException">The stored file is missing or differs from what was registered.</exception>
    public async Task<Stream> OpenArtifactAsync(ArtifactReference artifact, string? description = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        description ??= $"Artifact {artifact.Name}";
        Stream file;
        try
        {
            file = await Artifacts.OpenReadAsync(artifact.Sha256, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            throw new ArtifactIntegrityException($"{description} is missing from the artifact store at {Artifacts.Location} (SHA-256 {artifact.Sha256}). It was removed outside the registry; restore it from a backup.");
        }
        await using (file.ConfigureAwait(false))
            return await ArtifactHash.ReadVerifiedAsync(file, artifact.Sha256, artifact.Size, description, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a version's files (each checked against its hash) and a <c>version.json</c> with its metadata into
    /// <paramref name="folder"/>, each file written beside its final name and then renamed.
    /// </summary>
    /// <exception cref="RegistryConflictException">A file of that name exists and <paramref name="overwrite"/> is false.</exception>
    public async Task<IReadOnlyList<string>> ExportAsync(string modelName, VersionSelector selector, string folder, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var version = await GetVersionAsync(modelName, selector, cancellationToken).ConfigureAwait(false);
        if (version.Status == VersionStatus.Deleted)
            throw new RegistryNotFoundException($"Version {version.Reference} was deleted; it has no files to export.");
        Directory.CreateDirectory(folder);
        var names = version.Artifacts.Select(a => a.Name).Append("version.json").ToArray();
        foreach (var name in names)
        {
            RegistryNames.ValidateArtifactName(name, "artifact");
            if (!overwrite && File.Exists(Path.Combine(folder, name)))
                throw new RegistryConflictException($"'{Path.GetFullPath(Path.Combine(folder, name))}' exists; export into an empty folder or allow overwriting.");
        }
        var written = new List<string>();
        foreach (var artifact in version.Artifacts)
        {
            await using var content = await OpenArtifactAsync(artifact, $"{artifact.Name} of {version.Reference}", cancellationToken).ConfigureAwait(false);
            written.Add(await WriteBesideAsync(Path.Combine(folder, artifact.Name), content, cancellationToken).ConfigureAwait(false));
        }
        using var metadata = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(version, ExportJson));
        written.Add(await WriteBesideAsync(Path.Combine(folder, "version.json"), metadata, cancellationToken).ConfigureAwait(false));
        return written;
    }

    /// <summary>Compares versions of one model: every metric side by side, and every hyperparameter, data, pipeline and environment value that differs.</summary>
    public async Task<VersionComparison> CompareAsync(string modelName, IReadOnlyList<VersionSelector> versions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(versions);
        if (versions.Count < 2)
            throw new ArgumentException($"Comparing needs at least two versions; got {versions.Count}.", nameof(versions));
        var loaded = new List<ModelVersion>();
        foreach (var selector in versions)
            loaded.Add(await GetVersionAsync(modelName, selector, cancellationToken).ConfigureAwait(false));
        return VersionComparison.Of(loaded);
    }


    private static readonly JsonSerializerOptions ExportJson = new(MetadataStore.StorageJson) { WriteIndented = true };

    private static async Task<string> WriteBesideAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            return path;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
