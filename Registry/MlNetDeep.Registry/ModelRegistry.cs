using System.Text.Json;
using Microsoft.ML;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry;

/// <summary>
/// A registry of model versions: each with its hyperparameters, data fingerprints, metrics, history, environment,
/// lineage, tags and aliases, and its files in a content-addressed store. Open one with
/// <c>SqliteRegistry.OpenAsync(folder)</c> or <c>PostgreSqlRegistry.OpenAsync(connectionString, artifactFolder)</c>.
/// Safe to use from many threads and processes at once; every operation is one short database transaction.
/// </summary>
public sealed class ModelRegistry : IAsyncDisposable
{
    /// <summary>The artifact name of a version's ML.NET model file.</summary>
    public const string ModelArtifactName = "model.zip";

    private ModelRegistry(RegistryDatabase database, IArtifactStore artifacts)
    {
        Database = database;
        Artifacts = artifacts;
        Store = new MetadataStore(database);
    }

    /// <summary>The metadata database.</summary>
    public RegistryDatabase Database { get; }

    /// <summary>The artifact store.</summary>
    public IArtifactStore Artifacts { get; }

    /// <summary>The name recorded as who registers versions, moves aliases and starts runs. Default: the OS user name.</summary>
    public string Actor
    {
        get;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            RegistryNames.ValidateText(value, 200, nameof(Actor));
            field = value;
        }
    } = Environment.UserName;

    internal MetadataStore Store { get; }

    /// <summary>Opens a registry, applying the schema migrations it lacks (see the README on roles).</summary>
    public static async Task<ModelRegistry> OpenAsync(RegistryDatabase database, IArtifactStore artifacts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(artifacts);
        await SchemaMigrator.MigrateAsync(database, cancellationToken).ConfigureAwait(false);
        return new ModelRegistry(database, artifacts);
    }

    /// <summary>
    /// Registers a fitted model as the next version of <paramref name="modelName"/>: saves it (ML.NET's model.zip) into
    /// the artifact store, describes its pipeline unless <paramref name="details"/> gives one, and commits the version
    /// with everything in <paramref name="details"/> in one transaction. Two processes registering at once get two
    /// different, consecutive numbers.
    /// </summary>
    /// <param name="modelName">The model's name (letters, digits, '.', '_', '-').</param>
    /// <param name="model">The fitted model.</param>
    /// <param name="inputSchema">The schema of the data the model was fitted on (<c>data.Schema</c>), saved with it as ML.NET requires.</param>
    /// <param name="details">Hyperparameters, data, metrics, lineage, tags and more.</param>
    /// <param name="cancellationToken">Cancels before the commit.</param>
    /// <returns>The new version.</returns>
    public async Task<VersionReference> RegisterAsync(string modelName, ITransformer model, DataViewSchema inputSchema, ModelVersionDetails? details = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        details ??= new ModelVersionDetails();
        Validate(modelName, details);
        var pipeline = details.Pipeline ?? PipelineDescription.Describe(model, inputSchema);
        var stored = await Artifacts.PutAsync((stream, _) =>
        {
            new MLContext().Model.Save(model, inputSchema, stream);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return await CommitAsync(modelName, stored, pipeline, details, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Registers an ML.NET model file (model.zip) as the next version of <paramref name="modelName"/>; see
    /// <see cref="RegisterAsync"/>. The pipeline is recorded only when <paramref name="details"/> gives it.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ML.NET model.</exception>
    public async Task<VersionReference> RegisterFileAsync(string modelName, string modelPath, ModelVersionDetails? details = null, CancellationToken cancellationToken = default)
    {
        details ??= new ModelVersionDetails();
        Validate(modelName, details);
        CheckIsModelFile(modelPath);
        var stored = await PutFileAsync(modelPath, cancellationToken).ConfigureAwait(false);
        return await CommitAsync(modelName, stored, details.Pipeline, details, cancellationToken).ConfigureAwait(false);
    }

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

    /// <summary>Points <paramref name="alias"/> (e.g. production) at <paramref name="version"/> and records who, when, from which version and why.</summary>
    /// <exception cref="RegistryConflictException">The version is archived or deleted.</exception>
    /// <exception cref="RegistryPermissionException">The database role may not change the registry.</exception>
    public Task<AliasChange> SetAliasAsync(string modelName, string alias, int version, string? reason = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        RegistryNames.ValidateAlias(alias);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        RegistryNames.ValidateText(reason, 1000, nameof(reason));
        return Store.SetAliasAsync(modelName, alias, version, Actor, DateTimeOffset.UtcNow, reason, cancellationToken);
    }

    /// <summary>Removes <paramref name="alias"/>, recording who, when and why.</summary>
    public Task<AliasChange> RemoveAliasAsync(string modelName, string alias, string? reason = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        RegistryNames.ValidateAlias(alias);
        RegistryNames.ValidateText(reason, 1000, nameof(reason));
        return Store.RemoveAliasAsync(modelName, alias, Actor, DateTimeOffset.UtcNow, reason, cancellationToken);
    }

    /// <summary>Every move of the model's aliases (or of one alias), oldest first.</summary>
    public Task<IReadOnlyList<AliasChange>> GetAliasHistoryAsync(string modelName, string? alias = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        if (alias is not null)
            RegistryNames.ValidateAlias(alias);
        return Store.AliasHistoryAsync(modelName, alias, cancellationToken);
    }

    /// <summary>
    /// Watches which version <paramref name="alias"/> of <paramref name="modelName"/> points to, polling every
    /// <paramref name="pollInterval"/>: the extension point for serving that reloads when an alias moves.
    /// </summary>
    public AliasWatcher WatchAlias(string modelName, string alias, TimeSpan pollInterval)
    {
        RegistryNames.ValidateModelName(modelName);
        return new AliasWatcher(this, modelName, VersionSelector.ForAlias(alias), pollInterval);
    }

    /// <summary>Archives a version: hidden from lists, kept loadable by number; refused while an alias points to it.</summary>
    public Task ArchiveAsync(string modelName, int version, CancellationToken cancellationToken = default) => SetStatusAsync(modelName, version, VersionStatus.Archived, cancellationToken);

    /// <summary>Makes an archived version active again.</summary>
    public Task RestoreAsync(string modelName, int version, CancellationToken cancellationToken = default) => SetStatusAsync(modelName, version, VersionStatus.Active, cancellationToken);

    /// <summary>
    /// Deletes a version: its metadata stays (lineage, audit), its number is never reused, and its files become garbage
    /// unless another version or run references the same content. Refused while an alias points to it.
    /// </summary>
    public Task DeleteAsync(string modelName, int version, CancellationToken cancellationToken = default) => SetStatusAsync(modelName, version, VersionStatus.Deleted, cancellationToken);

    /// <summary>
    /// Removes stored files no version or run references and abandoned uploads, when they were written more than
    /// <paramref name="minimumAge"/> ago (a registration in progress has written its files but not yet committed: keep
    /// the age above the longest registration; an hour by default in the CLI).
    /// </summary>
    public async Task<GarbageCollectionResult> CollectGarbageAsync(TimeSpan minimumAge, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumAge, TimeSpan.Zero);
        var writtenBefore = DateTimeOffset.UtcNow - minimumAge;
        var referenced = await Store.ReferencedArtifactsAsync(cancellationToken).ConfigureAwait(false);
        var deleted = new List<StoredArtifact>();
        int kept = 0, recent = 0;
        await foreach (var artifact in Artifacts.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (referenced.Contains(artifact.Sha256))
                kept++;
            else if (artifact.LastWritten >= writtenBefore)
                recent++;
            else if (dryRun || await Artifacts.DeleteAsync(artifact.Sha256, writtenBefore, cancellationToken).ConfigureAwait(false))
                deleted.Add(artifact);
            else
                recent++;
        }
        var uploads = await Artifacts.DeleteAbandonedUploadsAsync(writtenBefore, dryRun, cancellationToken).ConfigureAwait(false);
        return new GarbageCollectionResult(dryRun, deleted, kept, recent, uploads);
    }

    /// <summary>Starts a training run of <paramref name="modelName"/>, to log epochs and checkpoints as it goes.</summary>
    /// <param name="modelName">The model the run trains.</param>
    /// <param name="hyperparameters">The trainer's options or other hyperparameters (see <see cref="HyperparameterJson.From"/>), or null.</param>
    /// <param name="environment">Where it runs. Default: captured from this process.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task<TrainingRun> StartRunAsync(string modelName, object? hyperparameters = null, EnvironmentInfo? environment = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(modelName);
        var json = hyperparameters is null ? null : HyperparameterJson.From(hyperparameters).ToJsonString(HyperparameterJson.SerializerOptions);
        var id = Guid.NewGuid();
        await Store.StartRunAsync(id, modelName, Actor, DateTimeOffset.UtcNow, json,
            MetadataStore.Serialize(environment ?? EnvironmentInfo.Capture()), cancellationToken).ConfigureAwait(false);
        return new TrainingRun(this, id, modelName);
    }

    /// <summary>Takes up run <paramref name="runId"/> again (a resumed Fit), marking it running.</summary>
    /// <exception cref="RegistryNotFoundException">There is no such run.</exception>
    public async Task<TrainingRun> ResumeRunAsync(Guid runId, CancellationToken cancellationToken = default)
    {
        var info = await Store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        await Store.ResumeRunAsync(runId, cancellationToken).ConfigureAwait(false);
        return new TrainingRun(this, runId, info.ModelName);
    }

    /// <summary>What run <paramref name="runId"/> has logged.</summary>
    public Task<TrainingRunInfo> GetRunAsync(Guid runId, CancellationToken cancellationToken = default) => Store.GetRunAsync(runId, cancellationToken);

    /// <summary>Closes the database's pooled connections.</summary>
    public ValueTask DisposeAsync() => Database.DisposeAsync();

    internal Task<StoredArtifact> PutFileAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{Path.GetFullPath(path)}' does not exist.", path);
        return Artifacts.PutAsync(async (stream, token) =>
        {
            await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            await source.CopyToAsync(stream, token).ConfigureAwait(false);
        }, cancellationToken);
    }

    private static readonly JsonSerializerOptions ExportJson = new(MetadataStore.StorageJson) { WriteIndented = true };

    private Task SetStatusAsync(string modelName, int version, VersionStatus status, CancellationToken cancellationToken)
    {
        RegistryNames.ValidateModelName(modelName);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        return Store.SetStatusAsync(modelName, version, status, DateTimeOffset.UtcNow, cancellationToken);
    }

    /// <summary>A cheap check that catches registering the wrong file: an ML.NET model is a zip archive with Model.key entries.</summary>
    private static void CheckIsModelFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file '{Path.GetFullPath(path)}' does not exist.", path);
        try
        {
            using var archive = System.IO.Compression.ZipFile.OpenRead(path);
            if (archive.Entries.Any(e => e.FullName.EndsWith("Model.key", StringComparison.Ordinal)))
                return;
        }
        catch (InvalidDataException)
        {
            // Not a zip archive: reported below.
        }
        throw new InvalidDataException($"'{Path.GetFullPath(path)}' is not an ML.NET model file (a model.zip written by MLContext.Model.Save).");
    }

    private static void Validate(string modelName, ModelVersionDetails details)
    {
        RegistryNames.ValidateModelName(modelName);
        RegistryNames.ValidateText(details.Description, 4000, nameof(details.Description));
        RegistryNames.ValidateText(details.RegisteredBy, 200, nameof(details.RegisteredBy));
        foreach (var (key, value) in details.Tags)
        {
            RegistryNames.ValidateTagKey(key, nameof(details.Tags));
            RegistryNames.ValidateTagValue(key, value, nameof(details.Tags));
        }
        foreach (var alias in details.Aliases)
            RegistryNames.ValidateAlias(alias, nameof(details.Aliases));
        foreach (var (name, path) in details.Files)
        {
            RegistryNames.ValidateArtifactName(name, nameof(details.Files));
            if (name == ModelArtifactName)
                throw new ArgumentException($"'{ModelArtifactName}' is the model itself; give further files other names.", nameof(details));
            if (!File.Exists(path))
                throw new FileNotFoundException($"File '{name}' of the version: '{Path.GetFullPath(path)}' does not exist.", path);
        }
        if (details.Lineage is { } lineage)
        {
            RegistryNames.ValidateModelName(lineage.Parent.ModelName, "details.Lineage.Parent");
            if (lineage.Teacher is { } teacher)
            {
                RegistryNames.ValidateModelName(teacher.ModelName, "details.Lineage.Teacher");
                if (lineage.Kind != LineageKind.Distilled)
                    throw new ArgumentException($"Only distilled versions have a teacher; this lineage is {lineage.Kind}.", nameof(details));
            }
        }
        if (details.Run is { } run && run.ModelName != modelName)
            throw new ArgumentException($"Run {run.Id} trains model '{run.ModelName}', not '{modelName}'.", nameof(details));
    }

    private async Task<VersionReference> CommitAsync(string modelName, StoredArtifact model, PipelineDescription? pipeline, ModelVersionDetails details, CancellationToken cancellationToken)
    {
        var artifacts = new List<ArtifactReference> { new(ModelArtifactName, model.Sha256, model.Size) };
        foreach (var (name, path) in details.Files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var stored = await PutFileAsync(path, cancellationToken).ConfigureAwait(false);
            artifacts.Add(new ArtifactReference(name, stored.Sha256, stored.Size));
        }
        var version = new NewVersion
        {
            ModelName = modelName,
            Description = details.Description,
            RegisteredBy = details.RegisteredBy ?? Actor,
            At = DateTimeOffset.UtcNow,
            Hyperparameters = details.Hyperparameters?.ToJsonString(HyperparameterJson.SerializerOptions),
            Pipeline = MetadataStore.Serialize(pipeline),
            TrainingData = MetadataStore.Serialize(details.TrainingData),
            EvaluationData = MetadataStore.Serialize(details.EvaluationData),
            // A version trained in a logged run keeps the run's environment (where it trained, with its seed).
            Environment = MetadataStore.Serialize(details.Environment ?? (details.Run is null ? EnvironmentInfo.Capture() : null)),
            History = details.History.Count == 0 ? null : new System.Text.Json.Nodes.JsonArray(details.History.Select(h => (System.Text.Json.Nodes.JsonNode)h.DeepClone()).ToArray()).ToJsonString(HyperparameterJson.SerializerOptions),
            Reports = details.Reports.ToJsonString(HyperparameterJson.SerializerOptions),
            Lineage = details.Lineage,
            RunId = details.Run?.Id,
            Artifacts = artifacts,
            Metrics = details.Metrics,
            Tags = new Dictionary<string, string>(details.Tags),
            Aliases = details.Aliases.ToArray(),
        };
        cancellationToken.ThrowIfCancellationRequested();
        var number = await Store.RegisterAsync(version, cancellationToken).ConfigureAwait(false);
        return new VersionReference(modelName, number);
    }

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
