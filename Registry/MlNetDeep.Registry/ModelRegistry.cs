using Microsoft.ML;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry;

/// <summary>
/// A registry of model versions: each with its hyperparameters, data fingerprints, metrics, history, environment,
/// lineage, tags and aliases, and its files in a content-addressed store. Open one with
/// <c>SqliteRegistry.OpenAsync(folder)</c> or <c>PostgreSqlRegistry.OpenAsync(connectionString, artifactFolder)</c>.
/// Safe to use from many threads and processes at once; every operation is one short database transaction.
/// </summary>
public sealed partial class ModelRegistry : IAsyncDisposable
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
}
