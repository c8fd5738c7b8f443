using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MlNetDeep.Registry.Storage;

/// <summary>A version about to be committed: everything is already validated, serialized and its files stored.</summary>
internal sealed record NewVersion
{
    public required string ModelName { get; init; }
    public string? Description { get; init; }
    public required string RegisteredBy { get; init; }
    public required DateTimeOffset At { get; init; }
    public string? Hyperparameters { get; init; }
    public string? Pipeline { get; init; }
    public string? TrainingData { get; init; }
    public string? EvaluationData { get; init; }
    public string? Environment { get; init; }
    public string? History { get; init; }
    public required string Reports { get; init; }
    public Lineage? Lineage { get; init; }
    public Guid? RunId { get; init; }
    public required IReadOnlyList<ArtifactReference> Artifacts { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public required IReadOnlyDictionary<string, string> Tags { get; init; }
    public required IReadOnlyList<string> Aliases { get; init; }
}

/// <summary>
/// The registry's metadata in a <see cref="RegistryDatabase"/>: one short transaction per operation, every value a
/// parameter. Writes that touch a model first update its row, which serializes concurrent writers of one model on
/// PostgreSQL (a row lock) and on SQLite (the write lock that <c>BEGIN IMMEDIATE</c> takes).
/// </summary>
internal sealed partial class MetadataStore(RegistryDatabase database)
{
    private const int MaximumAttempts = 8;
    private const int ParametersPerCommand = 2000;

    public static readonly JsonSerializerOptions StorageJson = CreateStorageJson();

    public RegistryDatabase Database => database;

    public static string Status(VersionStatus status) => status switch
    {
        VersionStatus.Active => "active",
        VersionStatus.Archived => "archived",
        _ => "deleted",
    };

    public static VersionStatus ParseStatus(string status) => status switch
    {
        "active" => VersionStatus.Active,
        "archived" => VersionStatus.Archived,
        _ => VersionStatus.Deleted,
    };

    public async Task<int> RegisterAsync(NewVersion version, CancellationToken cancellationToken) =>
        await WriteAsync(async (connection, transaction) =>
        {
            var at = version.At;
            await Sql.ExecuteAsync(connection, transaction,
                "INSERT INTO models (name, created_at, updated_at, last_version) VALUES (@name, @at, @at, 0) ON CONFLICT (name) DO NOTHING",
                cancellationToken, ("@name", version.ModelName), ("@at", Time(at))).ConfigureAwait(false);
            var (modelId, number) = (await Sql.QueryAsync(connection, transaction,
                "UPDATE models SET last_version = last_version + 1, updated_at = @at WHERE name = @name RETURNING id, last_version",
                r => (r.Int64(0), r.Int32(1)), cancellationToken, ("@name", version.ModelName), ("@at", Time(at))).ConfigureAwait(false)).Single();

            long? runId = null;
            var hyperparameters = version.Hyperparameters;
            var history = version.History;
            var environment = version.Environment;
            if (version.RunId is { } runKey)
            {
                var run = (await Sql.QueryAsync(connection, transaction,
                    "SELECT r.id, m.name, r.hyperparameters, r.environment FROM runs r JOIN models m ON m.id = r.model_id WHERE r.run_key = @key",
                    r => (Id: r.Int64(0), Model: r.GetString(1), Hyperparameters: r.NullableString(2), Environment: r.NullableString(3)), cancellationToken,
                    ("@key", RunKey(runKey))).ConfigureAwait(false)).SingleOrDefault();
                if (run.Model is null)
                    throw new RegistryNotFoundException($"There is no training run {runKey} in the registry at {database.Location}.");
                if (run.Model != version.ModelName)
                    throw new ArgumentException($"Run {runKey} trains model '{run.Model}', not '{version.ModelName}'.", "details");
                runId = run.Id;
                hyperparameters ??= run.Hyperparameters;
                environment ??= run.Environment;
                history ??= await RunHistoryJsonAsync(connection, transaction, run.Id, cancellationToken).ConfigureAwait(false);
            }
            var parentId = version.Lineage is { } lineage ? await VersionIdAsync(connection, transaction, lineage.Parent, cancellationToken).ConfigureAwait(false) : (long?)null;
            var teacherId = version.Lineage?.Teacher is { } teacher ? await VersionIdAsync(connection, transaction, teacher, cancellationToken).ConfigureAwait(false) : (long?)null;

            var versionId = Convert.ToInt64(await Sql.ScalarAsync(connection, transaction,
                "INSERT INTO versions (model_id, version, status, description, registered_by, registered_at, run_id, parent_id, lineage, teacher_id, " +
                "hyperparameters, pipeline, training_data, evaluation_data, environment, history, reports) VALUES " +
                "(@model, @version, @status, @description, @by, @at, @run, @parent, @lineage, @teacher, " +
                $"{Json("@hyperparameters")}, {Json("@pipeline")}, {Json("@training")}, {Json("@evaluation")}, {Json("@environment")}, {Json("@history")}, {Json("@reports")}) RETURNING id",
                cancellationToken,
                ("@model", modelId), ("@version", number), ("@status", Status(VersionStatus.Active)), ("@description", version.Description),
                ("@by", version.RegisteredBy), ("@at", Time(at)), ("@run", runId), ("@parent", parentId),
                ("@lineage", version.Lineage?.Kind.ToString()), ("@teacher", teacherId), ("@hyperparameters", hyperparameters),
                ("@pipeline", version.Pipeline), ("@training", version.TrainingData), ("@evaluation", version.EvaluationData),
                ("@environment", environment), ("@history", history), ("@reports", version.Reports)).ConfigureAwait(false),
                CultureInfo.InvariantCulture);

            await InsertRowsAsync(connection, transaction, cancellationToken,
                ("version_artifacts (version_id, name, sha256, size)", version.Artifacts.Select(a => new object?[] { versionId, a.Name, a.Sha256, a.Size }).ToList()),
                ("version_metrics (version_id, name, value)", version.Metrics.Select(m => new object?[] { versionId, m.Key, m.Value }).ToList()),
                ("version_tags (version_id, key, value)", version.Tags.Select(t => new object?[] { versionId, t.Key, t.Value }).ToList())).ConfigureAwait(false);
            foreach (var alias in version.Aliases)
                await MoveAliasAsync(connection, transaction, modelId, alias, (versionId, number), version.RegisteredBy, at, "registered", cancellationToken).ConfigureAwait(false);
            return number;
        }, cancellationToken).ConfigureAwait(false);

    public async Task SetStatusAsync(string modelName, int number, VersionStatus status, DateTimeOffset at, CancellationToken cancellationToken) =>
        await WriteAsync(async (connection, transaction) =>
        {
            await LockModelAsync(connection, transaction, modelName, at, cancellationToken).ConfigureAwait(false);
            var (versionId, current) = await VersionRowAsync(connection, transaction, modelName, number, cancellationToken).ConfigureAwait(false);
            if (current == VersionStatus.Deleted)
                throw new RegistryConflictException($"Version {number} of '{modelName}' was deleted; it cannot become {Status(status)}.");
            if (status != VersionStatus.Active)
            {
                var aliases = await Sql.QueryAsync(connection, transaction, "SELECT alias FROM aliases WHERE version_id = @id ORDER BY alias",
                    r => r.GetString(0), cancellationToken, ("@id", versionId)).ConfigureAwait(false);
                if (aliases.Count > 0)
                    throw new RegistryConflictException($"Version {number} of '{modelName}' is {string.Join(", ", aliases)}; move or remove {(aliases.Count == 1 ? "that alias" : "those aliases")} before it becomes {Status(status)}.");
            }
            await Sql.ExecuteAsync(connection, transaction, "UPDATE versions SET status = @status WHERE id = @id", cancellationToken,
                ("@status", Status(status)), ("@id", versionId)).ConfigureAwait(false);
            if (status == VersionStatus.Deleted)
                await Sql.ExecuteAsync(connection, transaction, "DELETE FROM version_artifacts WHERE version_id = @id", cancellationToken, ("@id", versionId)).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>The hashes that some version or run still references.</summary>
    public Task<HashSet<string>> ReferencedArtifactsAsync(CancellationToken cancellationToken) =>
        ReadAsync(async connection => (await Sql.QueryAsync(connection, null,
            "SELECT sha256 FROM version_artifacts UNION SELECT sha256 FROM run_artifacts", r => r.GetString(0), cancellationToken).ConfigureAwait(false))
            .ToHashSet(StringComparer.Ordinal), cancellationToken);

    private string Json(string parameterName) => database.JsonValue(parameterName);

    private object Time(DateTimeOffset at) => database.TimestampValue(at);

    private DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => database.ReadTimestamp(reader, ordinal);

    private static string RunKey(Guid key) => key.ToString("D", CultureInfo.InvariantCulture);

    /// <summary>Updates the model's row (its <c>updated_at</c>), which also locks it for the rest of the transaction; returns its id.</summary>
    private async Task<long> LockModelAsync(DbConnection connection, DbTransaction transaction, string modelName, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var id = await Sql.ScalarAsync(connection, transaction, "UPDATE models SET updated_at = @at WHERE name = @name RETURNING id",
            cancellationToken, ("@name", modelName), ("@at", Time(at))).ConfigureAwait(false);
        return id is null ? throw ModelNotFound(modelName) : Convert.ToInt64(id, CultureInfo.InvariantCulture);
    }

    private async Task<(long Id, VersionStatus Status)> VersionRowAsync(DbConnection connection, DbTransaction? transaction, string modelName, int number, CancellationToken cancellationToken)
    {
        var rows = await Sql.QueryAsync(connection, transaction,
            "SELECT v.id, v.status FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = @name AND v.version = @version",
            r => (r.Int64(0), ParseStatus(r.GetString(1))), cancellationToken, ("@name", modelName), ("@version", number)).ConfigureAwait(false);
        return rows.Count == 1 ? rows[0] : throw await VersionNotFoundAsync(connection, transaction, modelName, number, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> VersionIdAsync(DbConnection connection, DbTransaction transaction, VersionReference reference, CancellationToken cancellationToken) =>
        (await VersionRowAsync(connection, transaction, reference.ModelName, reference.Version, cancellationToken).ConfigureAwait(false)).Id;

    private RegistryNotFoundException ModelNotFound(string modelName) =>
        new($"There is no model named '{modelName}' in the registry at {database.Location}.");

    private async Task<RegistryNotFoundException> VersionNotFoundAsync(DbConnection connection, DbTransaction? transaction, string modelName, int number, CancellationToken cancellationToken)
    {
        var last = await Sql.ScalarAsync(connection, transaction, "SELECT last_version FROM models WHERE name = @name", cancellationToken, ("@name", modelName)).ConfigureAwait(false);
        return last is null
            ? ModelNotFound(modelName)
            : new RegistryNotFoundException($"Model '{modelName}' has no version {number} (its versions are numbered 1 to {last}).");
    }

    private static async Task<string?> RunHistoryJsonAsync(DbConnection connection, DbTransaction transaction, long runId, CancellationToken cancellationToken)
    {
        var records = await Sql.QueryAsync(connection, transaction, "SELECT record FROM run_epochs WHERE run_id = @run ORDER BY epoch",
            r => r.GetString(0), cancellationToken, ("@run", runId)).ConfigureAwait(false);
        return records.Count == 0 ? null : $"[{string.Join(",", records)}]";
    }

    /// <summary>
    /// Inserts rows into several tables with multi-row VALUES lists, as few commands as the parameter budget allows (each
    /// command one round trip to a server): <see cref="ParametersPerCommand"/> parameters per command at most.
    /// </summary>
    private static async Task InsertRowsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken,
        params (string TableAndColumns, IReadOnlyList<object?[]> Rows)[] tables)
    {
        var command = connection.CreateCommand();
        try
        {
            command.Transaction = transaction;
            var sql = new StringBuilder();
            foreach (var (tableAndColumns, rows) in tables)
            {
                for (var r = 0; r < rows.Count; r++)
                {
                    if (command.Parameters.Count + rows[r].Length > ParametersPerCommand)
                    {
                        command.CommandText = sql.Append(';').ToString();
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                        await command.DisposeAsync().ConfigureAwait(false);
                        command = connection.CreateCommand();
                        command.Transaction = transaction;
                        sql.Clear();
                    }
                    sql.Append(r == 0 || sql.Length == 0 ? (sql.Length == 0 ? "" : "; ") + $"INSERT INTO {tableAndColumns} VALUES (" : ", (");
                    for (var c = 0; c < rows[r].Length; c++)
                    {
                        var name = $"@p{command.Parameters.Count}";
                        sql.Append(c == 0 ? name : ", " + name);
                        Sql.Add(command, name, rows[r][c]);
                    }
                    sql.Append(')');
                }
            }
            if (command.Parameters.Count > 0)
            {
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = database.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await database.PrepareConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (DbException e) when (database.Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, retrying the whole transaction when the database says a retry may succeed.</summary>
    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var result = await work(connection, transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (DbException e) when (attempt < MaximumAttempts && database.IsTransient(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(10, 50) * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (DbException e) when (database.Translate(e) is { } translated)
            {
                throw translated;
            }
        }
    }

    private static JsonSerializerOptions CreateStorageJson()
    {
        var options = new JsonSerializerOptions
        {
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string? Serialize<T>(T? value) where T : class => value is null ? null : JsonSerializer.Serialize(value, StorageJson);

    public static T? Deserialize<T>(string? json) where T : class => json is null ? null : JsonSerializer.Deserialize<T>(json, StorageJson);

    public static JsonObject? ParseObject(string? json) => json is null ? null : JsonNode.Parse(json) as JsonObject;
}
