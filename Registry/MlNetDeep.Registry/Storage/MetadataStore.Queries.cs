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
            var details = await DetailsAsync(connection, "version_id = @id", [("@id", row.Id)], allMetrics: true, [], cancellationToken).ConfigureAwait(false);
            var artifacts = await Sql.QueryAsync(connection, null, "SELECT name, sha256, size FROM version_artifacts WHERE version_id = @id ORDER BY name",
                r => new ArtifactReference(r.GetString(0), r.GetString(1), r.Int64(2)), cancellationToken, ("@id", row.Id)).ConfigureAwait(false);
            return new ModelVersion
            {
                ModelName = modelName, Version = number, Status = row.Status, Description = row.Description, RegisteredBy = row.RegisteredBy,
                RegisteredAt = row.RegisteredAt,
                Aliases = details.Aliases.GetValueOrDefault(row.Id) ?? [],
                Tags = details.Tags.GetValueOrDefault(row.Id) ?? new Dictionary<string, string>(),
                Metrics = details.Metrics.GetValueOrDefault(row.Id) ?? new SortedDictionary<string, double>(),
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

    public Task<IReadOnlyList<ModelVersionSummary>> SearchAsync(VersionQuery query, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ModelVersionSummary>>(async connection =>
        {
            var parameters = new List<(string, object?)>();
            var statuses = new List<string> { Status(VersionStatus.Active) };
            if (query.IncludeArchived)
                statuses.Add(Status(VersionStatus.Archived));
            if (query.IncludeDeleted)
                statuses.Add(Status(VersionStatus.Deleted));
            var from = new StringBuilder("FROM versions v JOIN models m ON m.id = v.model_id ");
            if (query.OrderByMetric is not null)
            {
                from.Append("JOIN version_metrics om ON om.version_id = v.id AND om.name = @order ");
                parameters.Add(("@order", query.OrderByMetric));
            }
            from.Append("WHERE v.status IN (").Append(string.Join(", ", statuses.Select((s, i) => $"@s{i}"))).Append(')');
            parameters.AddRange(statuses.Select((s, i) => ($"@s{i}", (object?)s)));
            if (query.ModelName is not null)
            {
                from.Append(" AND m.name = @model");
                parameters.Add(("@model", query.ModelName));
            }
            var tag = 0;
            foreach (var (key, value) in query.Tags)
            {
                from.Append($" AND v.id IN (SELECT t.version_id FROM version_tags t WHERE t.key = @tk{tag}");
                parameters.Add(($"@tk{tag}", key));
                if (value is not null)
                {
                    from.Append($" AND t.value = @tv{tag}");
                    parameters.Add(($"@tv{tag}", value));
                }
                from.Append(')');
                tag++;
            }
            from.Append(query.OrderByMetric is null ? " ORDER BY m.name, v.version DESC" : $" ORDER BY om.value {(query.HighestFirst ? "DESC" : "ASC")}, m.name, v.version DESC");
            if (query.Limit is { } limit)
            {
                from.Append(" LIMIT @limit");
                parameters.Add(("@limit", limit));
            }

            var rows = await Sql.QueryAsync(connection, null,
                "SELECT v.id, m.name, v.version, v.status, v.description, v.registered_by, v.registered_at " + from,
                r => (Id: r.Int64(0), Model: r.GetString(1), Version: r.Int32(2), Status: ParseStatus(r.GetString(3)), Description: r.NullableString(4),
                    By: r.GetString(5), At: ReadTime(r, 6)),
                cancellationToken, parameters.ToArray()).ConfigureAwait(false);
            if (rows.Count == 0)
                return [];
            var metrics = query.IncludeMetrics.Concat(query.OrderByMetric is null ? [] : [query.OrderByMetric]).Distinct().ToList();
            var (idFilter, ids) = database.AnyOf("version_id", "@ids", rows.Select(r => r.Id).ToArray());
            var details = await DetailsAsync(connection, idFilter, [("@ids", ids)], allMetrics: false, metrics, cancellationToken).ConfigureAwait(false);
            return rows.Select(r => new ModelVersionSummary
            {
                ModelName = r.Model, Version = r.Version, Status = r.Status, Description = r.Description, RegisteredBy = r.By, RegisteredAt = r.At,
                Aliases = details.Aliases.GetValueOrDefault(r.Id) ?? [],
                Tags = details.Tags.GetValueOrDefault(r.Id) ?? new Dictionary<string, string>(),
                Metrics = details.Metrics.GetValueOrDefault(r.Id) ?? new SortedDictionary<string, double>(),
            }).ToArray();
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

    private sealed record VersionDetails(
        Dictionary<long, IReadOnlyList<string>> Aliases,
        Dictionary<long, IReadOnlyDictionary<string, string>> Tags,
        Dictionary<long, IReadOnlyDictionary<string, double>> Metrics);

    /// <summary>Aliases, tags and metrics of the versions whose <c>version_id</c> satisfies <paramref name="idFilter"/>, in one query each.</summary>
    private static async Task<VersionDetails> DetailsAsync(DbConnection connection, string idFilter, IReadOnlyList<(string, object?)> parameters,
        bool allMetrics, IReadOnlyList<string> metricNames, CancellationToken cancellationToken)
    {
        var aliases = new Dictionary<long, IReadOnlyList<string>>();
        foreach (var (id, alias) in await Sql.QueryAsync(connection, null, $"SELECT version_id, alias FROM aliases WHERE {idFilter} ORDER BY alias",
            r => (r.Int64(0), r.GetString(1)), cancellationToken, parameters.ToArray()).ConfigureAwait(false))
        {
            if (!aliases.TryGetValue(id, out var list))
                aliases[id] = list = new List<string>();
            ((List<string>)list).Add(alias);
        }
        var tags = new Dictionary<long, IReadOnlyDictionary<string, string>>();
        foreach (var (id, key, value) in await Sql.QueryAsync(connection, null, $"SELECT version_id, key, value FROM version_tags WHERE {idFilter}",
            r => (r.Int64(0), r.GetString(1), r.GetString(2)), cancellationToken, parameters.ToArray()).ConfigureAwait(false))
        {
            if (!tags.TryGetValue(id, out var map))
                tags[id] = map = new SortedDictionary<string, string>(StringComparer.Ordinal);
            ((SortedDictionary<string, string>)map)[key] = value;
        }
        var metrics = new Dictionary<long, IReadOnlyDictionary<string, double>>();
        if (allMetrics || metricNames.Count > 0)
        {
            var metricParameters = parameters.ToList();
            var nameFilter = allMetrics ? "" : $" AND name IN ({string.Join(", ", metricNames.Select((_, i) => $"@mn{i}"))})";
            metricParameters.AddRange(allMetrics ? [] : metricNames.Select((n, i) => ($"@mn{i}", (object?)n)));
            foreach (var (id, name, value) in await Sql.QueryAsync(connection, null, $"SELECT version_id, name, value FROM version_metrics WHERE {idFilter}{nameFilter}",
                r => (r.Int64(0), r.GetString(1), r.GetDouble(2)), cancellationToken, metricParameters.ToArray()).ConfigureAwait(false))
            {
                if (!metrics.TryGetValue(id, out var map))
                    metrics[id] = map = new SortedDictionary<string, double>(StringComparer.Ordinal);
                ((SortedDictionary<string, double>)map)[name] = value;
            }
        }
        return new VersionDetails(aliases, tags, metrics);
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
