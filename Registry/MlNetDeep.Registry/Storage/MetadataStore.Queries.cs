using System.Data.Common;
using System.Text;
using System.Text.Json.Nodes;

namespace MlNetDeep.Registry.Storage;

internal sealed partial class MetadataStore
{
    private const string ModelArtifact = ModelRegistry.ModelArtifactName;

    public Task<ResolvedVersion> ResolveAsync(string modelName, VersionSelector selector, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            const string Columns = "SELECT v.version, v.status, va.sha256, va.size FROM ";
            const string ArtifactJoin = " LEFT JOIN version_artifacts va ON va.version_id = v.id AND va.name = @artifact ";
            var (sql, parameters) = selector switch
            {
                { Number: { } n } => (Columns + "versions v JOIN models m ON m.id = v.model_id" + ArtifactJoin + "WHERE m.name = @name AND v.version = @version",
                    new (string, object?)[] { ("@name", modelName), ("@artifact", ModelArtifact), ("@version", n) }),
                { Alias: { } a } => (Columns + "aliases al JOIN models m ON m.id = al.model_id JOIN versions v ON v.id = al.version_id" + ArtifactJoin + "WHERE m.name = @name AND al.alias = @alias",
                    new (string, object?)[] { ("@name", modelName), ("@artifact", ModelArtifact), ("@alias", a) }),
                _ => (Columns + "versions v JOIN models m ON m.id = v.model_id" + ArtifactJoin + "WHERE m.name = @name AND v.status = @active ORDER BY v.version DESC LIMIT 1",
                    new (string, object?)[] { ("@name", modelName), ("@artifact", ModelArtifact), ("@active", Status(VersionStatus.Active)) }),
            };
            var rows = await Sql.QueryAsync(connection, null, sql,
                r => (Version: r.Int32(0), Status: ParseStatus(r.GetString(1)), Sha256: r.NullableString(2), Size: r.IsDBNull(3) ? 0 : r.Int64(3)),
                cancellationToken, parameters).ConfigureAwait(false);
            if (rows.Count == 0)
                throw await SelectorNotFoundAsync(connection, modelName, selector, cancellationToken).ConfigureAwait(false);
            var row = rows[0];
            if (row.Status == VersionStatus.Deleted || row.Sha256 is null)
                throw new RegistryNotFoundException($"Version {row.Version} of '{modelName}' was deleted; its model file is gone.");
            return new ResolvedVersion(modelName, row.Version, new ArtifactReference(ModelArtifact, row.Sha256, row.Size));
        }, cancellationToken);

    public Task<ModelVersion> GetVersionAsync(string modelName, int number, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var rows = await Sql.QueryAsync(connection, null,
                "SELECT v.id, v.status, v.description, v.registered_by, v.registered_at, r.run_key, pm.name, p.version, v.lineage, tm.name, t.version, " +
                "v.hyperparameters, v.pipeline, v.training_data, v.evaluation_data, v.environment, v.history, v.reports " +
                "FROM versions v JOIN models m ON m.id = v.model_id LEFT JOIN runs r ON r.id = v.run_id " +
                "LEFT JOIN versions p ON p.id = v.parent_id LEFT JOIN models pm ON pm.id = p.model_id " +
                "LEFT JOIN versions t ON t.id = v.teacher_id LEFT JOIN models tm ON tm.id = t.model_id " +
                "WHERE m.name = @name AND v.version = @version",
                r => new
                {
                    Id = r.Int64(0), Status = ParseStatus(r.GetString(1)), Description = r.NullableString(2), RegisteredBy = r.GetString(3),
                    RegisteredAt = ReadTime(r, 4), RunKey = r.NullableString(5),
                    Parent = r.IsDBNull(6) ? null : new VersionReference(r.GetString(6), r.Int32(7)),
                    Kind = r.NullableString(8),
                    Teacher = r.IsDBNull(9) ? null : new VersionReference(r.GetString(9), r.Int32(10)),
                    Hyperparameters = r.NullableString(11), Pipeline = r.NullableString(12), TrainingData = r.NullableString(13),
                    EvaluationData = r.NullableString(14), Environment = r.NullableString(15), History = r.NullableString(16), Reports = r.NullableString(17),
                }, cancellationToken, ("@name", modelName), ("@version", number)).ConfigureAwait(false);
            if (rows.Count == 0)
                throw await VersionNotFoundAsync(connection, null, modelName, number, cancellationToken).ConfigureAwait(false);
            var row = rows[0];
            var aliases = await AliasesAsync(connection, "version_id = @id", [("@id", row.Id)], cancellationToken).ConfigureAwait(false);
            var metrics = await MetricsAsync(connection, "version_id = @id", [("@id", row.Id)], null, cancellationToken).ConfigureAwait(false);
            var artifacts = await Sql.QueryAsync(connection, null, "SELECT name, sha256, size FROM version_artifacts WHERE version_id = @id ORDER BY name",
                r => new ArtifactReference(r.GetString(0), r.GetString(1), r.Int64(2)), cancellationToken, ("@id", row.Id)).ConfigureAwait(false);
            return new ModelVersion
            {
                ModelName = modelName, Version = number, Status = row.Status, Description = row.Description, RegisteredBy = row.RegisteredBy,
                RegisteredAt = row.RegisteredAt,
                Aliases = aliases.GetValueOrDefault(row.Id) ?? [],
                Tags = await TagsAsync(connection, row.Id, cancellationToken).ConfigureAwait(false),
                Metrics = metrics.GetValueOrDefault(row.Id) ?? new SortedDictionary<string, double>(),
                Hyperparameters = ParseObject(row.Hyperparameters),
                Pipeline = Deserialize<PipelineDescription>(row.Pipeline),
                TrainingData = Deserialize<DataFingerprint>(row.TrainingData),
                EvaluationData = Deserialize<DataFingerprint>(row.EvaluationData),
                Environment = Deserialize<EnvironmentInfo>(row.Environment),
                History = row.History is null ? [] : JsonNode.Parse(row.History)!.AsArray().Select(e => e!.AsObject()).ToArray(),
                Reports = ParseObject(row.Reports) ?? [],
                Lineage = row.Parent is null ? null : new Lineage(row.Parent, Enum.Parse<LineageKind>(row.Kind!), row.Teacher),
                RunId = row.RunKey is null ? null : Guid.Parse(row.RunKey),
                Artifacts = artifacts,
            };
        }, cancellationToken);

    /// <summary>
    /// The versions <paramref name="query"/> selects with their tags in one query, then their models' aliases and the
    /// metrics asked for: listing all versions sends no list of ids back to the database.
    /// </summary>
    public Task<IReadOnlyList<ModelVersionSummary>> SearchAsync(VersionQuery query, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ModelVersionSummary>>(async connection =>
        {
            var parameters = new List<(string, object?)>();
            var statuses = new List<string> { Status(VersionStatus.Active) };
            if (query.IncludeArchived)
                statuses.Add(Status(VersionStatus.Archived));
            if (query.IncludeDeleted)
                statuses.Add(Status(VersionStatus.Deleted));
            var selected = new StringBuilder("SELECT v.id, v.model_id, m.name, v.version, v.status, v.description, v.registered_by, v.registered_at");
            if (query.OrderByMetric is not null)
                selected.Append(", om.value AS order_value");
            selected.Append(" FROM versions v JOIN models m ON m.id = v.model_id ");
            if (query.OrderByMetric is not null)
            {
                selected.Append("JOIN version_metrics om ON om.version_id = v.id AND om.name = @order ");
                parameters.Add(("@order", query.OrderByMetric));
            }
            selected.Append("WHERE v.status IN (").Append(string.Join(", ", statuses.Select((s, i) => $"@s{i}"))).Append(')');
            parameters.AddRange(statuses.Select((s, i) => ($"@s{i}", (object?)s)));
            if (query.ModelName is not null)
            {
                selected.Append(" AND m.name = @model");
                parameters.Add(("@model", query.ModelName));
            }
            var tag = 0;
            foreach (var (key, value) in query.Tags)
            {
                selected.Append($" AND v.id IN (SELECT t.version_id FROM version_tags t WHERE t.key = @tk{tag}");
                parameters.Add(($"@tk{tag}", key));
                if (value is not null)
                {
                    selected.Append($" AND t.value = @tv{tag}");
                    parameters.Add(($"@tv{tag}", value));
                }
                selected.Append(')');
                tag++;
            }
            var direction = query.HighestFirst ? "DESC" : "ASC";
            if (query.Limit is { } limit)
            {
                // Only a limit orders the versions before their tags join them; without one the database flattens the subquery.
                selected.Append(query.OrderByMetric is null ? " ORDER BY m.name, v.version DESC" : $" ORDER BY om.value {direction}, m.name, v.version DESC").Append(" LIMIT @limit");
                parameters.Add(("@limit", limit));
            }

            // A row per tag; (model, version) is unique, so this order keeps each version's rows together.
            var sql = "SELECT s.id, s.model_id, s.name, s.version, s.status, s.description, s.registered_by, s.registered_at, tg.key, tg.value " +
                $"FROM ({selected}) s LEFT JOIN version_tags tg ON tg.version_id = s.id " +
                (query.OrderByMetric is null ? "ORDER BY s.name, s.version DESC" : $"ORDER BY s.order_value {direction}, s.name, s.version DESC");
            var rows = new List<SearchRow>();
            var modelNames = new Dictionary<long, string>();
            await using (var command = Sql.Command(connection, null, sql, parameters.ToArray()))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                SearchRow? row = null;
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var id = reader.GetInt64(0);
                    if (row?.Id != id)
                    {
                        var modelId = reader.GetInt64(1);
                        if (!modelNames.TryGetValue(modelId, out var modelName))
                            modelNames[modelId] = modelName = reader.GetString(2);
                        row = new SearchRow(id, modelName, reader.GetInt32(3), ParseStatus(reader.GetString(4)), reader.NullableString(5), reader.GetString(6), ReadTime(reader, 7));
                        rows.Add(row);
                    }
                    if (!reader.IsDBNull(8))
                        (row.Tags ??= new SortedDictionary<string, string>(StringComparer.Ordinal))[reader.GetString(8)] = reader.GetString(9);
                }
            }
            if (rows.Count == 0)
                return [];

            var (modelFilter, modelIds) = database.AnyOf("model_id", "@models", modelNames.Keys.ToArray());
            var aliases = await AliasesAsync(connection, modelFilter, [("@models", modelIds)], cancellationToken).ConfigureAwait(false);
            var metricNames = query.IncludeMetrics.Concat(query.OrderByMetric is null ? [] : [query.OrderByMetric]).Distinct().ToList();
            var metrics = new Dictionary<long, IReadOnlyDictionary<string, double>>();
            if (metricNames.Count > 0)
            {
                var (idFilter, ids) = database.AnyOf("version_id", "@ids", rows.Select(r => r.Id).ToArray());
                metrics = await MetricsAsync(connection, idFilter, [("@ids", ids)], metricNames, cancellationToken).ConfigureAwait(false);
            }
            var summaries = new ModelVersionSummary[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                summaries[i] = new ModelVersionSummary
                {
                    ModelName = r.ModelName, Version = r.Version, Status = r.Status, Description = r.Description, RegisteredBy = r.RegisteredBy, RegisteredAt = r.RegisteredAt,
                    Aliases = aliases.GetValueOrDefault(r.Id) ?? [],
                    Tags = (IReadOnlyDictionary<string, string>?)r.Tags ?? new Dictionary<string, string>(),
                    Metrics = metrics.GetValueOrDefault(r.Id) ?? new SortedDictionary<string, double>(),
                };
            }
            return summaries;
        }, cancellationToken);

    /// <summary>All models, or the one named <paramref name="modelName"/>.</summary>
    public Task<IReadOnlyList<RegisteredModel>> ListModelsAsync(string? modelName, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<RegisteredModel>>(async connection =>
        {
            (string, object?)[] parameters = modelName is null
                ? [("@active", Status(VersionStatus.Active))]
                : [("@active", Status(VersionStatus.Active)), ("@name", modelName)];
            var filter = modelName is null ? "" : " WHERE m.name = @name";
            var aliases = (await Sql.QueryAsync(connection, null,
                "SELECT a.model_id, a.alias, v.version FROM aliases a JOIN versions v ON v.id = a.version_id JOIN models m ON m.id = a.model_id" + filter,
                r => (Model: r.Int64(0), Alias: r.GetString(1), Version: r.Int32(2)), cancellationToken, parameters.Skip(1).ToArray()).ConfigureAwait(false))
                .ToLookup(a => a.Model);
            return await Sql.QueryAsync(connection, null,
                "SELECT m.id, m.name, m.created_at, m.updated_at, " +
                "(SELECT MAX(v.version) FROM versions v WHERE v.model_id = m.id AND v.status = @active), " +
                $"(SELECT COUNT(*) FROM versions v WHERE v.model_id = m.id AND v.status = @active) FROM models m{filter} ORDER BY m.name",
                r => new RegisteredModel
                {
                    Name = r.GetString(1), CreatedAt = ReadTime(r, 2), UpdatedAt = ReadTime(r, 3), LatestVersion = r.NullableInt32(4), ActiveVersions = r.Int32(5),
                    Aliases = aliases[r.Int64(0)].OrderBy(a => a.Alias, StringComparer.Ordinal).ToDictionary(a => a.Alias, a => a.Version),
                }, cancellationToken, parameters).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>A version of a search result while its tag rows are read.</summary>
    private sealed record SearchRow(long Id, string ModelName, int Version, VersionStatus Status, string? Description, string RegisteredBy, DateTimeOffset RegisteredAt)
    {
        public SortedDictionary<string, string>? Tags { get; set; }
    }

    /// <summary>The aliases (sorted) of each version among the aliases whose row satisfies <paramref name="filter"/>.</summary>
    private static async Task<Dictionary<long, IReadOnlyList<string>>> AliasesAsync(DbConnection connection, string filter, (string, object?)[] parameters,
        CancellationToken cancellationToken)
    {
        var aliases = new Dictionary<long, IReadOnlyList<string>>();
        foreach (var (id, alias) in await Sql.QueryAsync(connection, null, $"SELECT version_id, alias FROM aliases WHERE {filter} ORDER BY alias",
            r => (r.Int64(0), r.GetString(1)), cancellationToken, parameters).ConfigureAwait(false))
        {
            if (!aliases.TryGetValue(id, out var list))
                aliases[id] = list = new List<string>();
            ((List<string>)list).Add(alias);
        }
        return aliases;
    }

    /// <summary>The tags of the version with id <paramref name="versionId"/>.</summary>
    private static async Task<SortedDictionary<string, string>> TagsAsync(DbConnection connection, long versionId, CancellationToken cancellationToken)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in await Sql.QueryAsync(connection, null, "SELECT key, value FROM version_tags WHERE version_id = @id",
            r => (r.GetString(0), r.GetString(1)), cancellationToken, ("@id", versionId)).ConfigureAwait(false))
            tags[key] = value;
        return tags;
    }

    /// <summary>
    /// The metrics of the versions whose <c>version_id</c> satisfies <paramref name="idFilter"/>: those named
    /// <paramref name="metricNames"/>, or all when it is null.
    /// </summary>
    private static async Task<Dictionary<long, IReadOnlyDictionary<string, double>>> MetricsAsync(DbConnection connection, string idFilter,
        IReadOnlyList<(string, object?)> parameters, IReadOnlyList<string>? metricNames, CancellationToken cancellationToken)
    {
        var metricParameters = parameters.ToList();
        var nameFilter = metricNames is null ? "" : $" AND name IN ({string.Join(", ", metricNames.Select((_, i) => $"@mn{i}"))})";
        metricParameters.AddRange(metricNames is null ? [] : metricNames.Select((n, i) => ($"@mn{i}", (object?)n)));
        var metrics = new Dictionary<long, IReadOnlyDictionary<string, double>>();
        foreach (var (id, name, value) in await Sql.QueryAsync(connection, null, $"SELECT version_id, name, value FROM version_metrics WHERE {idFilter}{nameFilter}",
            r => (r.Int64(0), r.GetString(1), r.GetDouble(2)), cancellationToken, metricParameters.ToArray()).ConfigureAwait(false))
        {
            if (!metrics.TryGetValue(id, out var map))
                metrics[id] = map = new SortedDictionary<string, double>(StringComparer.Ordinal);
            ((SortedDictionary<string, double>)map)[name] = value;
        }
        return metrics;
    }

    private async Task<RegistryNotFoundException> SelectorNotFoundAsync(DbConnection connection, string modelName, VersionSelector selector, CancellationToken cancellationToken)
    {
        if (selector.Number is { } number)
            return await VersionNotFoundAsync(connection, null, modelName, number, cancellationToken).ConfigureAwait(false);
        var modelId = await Sql.ScalarAsync(connection, null, "SELECT id FROM models WHERE name = @name", cancellationToken, ("@name", modelName)).ConfigureAwait(false);
        if (modelId is null)
            return ModelNotFound(modelName);
        if (selector.Alias is null)
            return new RegistryNotFoundException($"Model '{modelName}' has no active version.");
        var aliases = await Sql.QueryAsync(connection, null, "SELECT alias FROM aliases WHERE model_id = @model ORDER BY alias", r => r.GetString(0),
            cancellationToken, ("@model", modelId)).ConfigureAwait(false);
        return new RegistryNotFoundException($"Model '{modelName}' has no alias '{selector.Alias}' ({(aliases.Count == 0 ? "it has no aliases" : "its aliases: " + string.Join(", ", aliases))}).");
    }
}
