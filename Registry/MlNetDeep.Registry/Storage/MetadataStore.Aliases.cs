using System.Data.Common;

namespace MlNetDeep.Registry.Storage;

internal sealed partial class MetadataStore
{
    public Task<AliasChange> SetAliasAsync(string modelName, string alias, int number, string actor, DateTimeOffset at, string? reason, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            var modelId = await LockModelAsync(connection, transaction, modelName, at, cancellationToken).ConfigureAwait(false);
            var (versionId, status) = await VersionRowAsync(connection, transaction, modelName, number, cancellationToken).ConfigureAwait(false);
            if (status != VersionStatus.Active)
                throw new RegistryConflictException($"Version {number} of '{modelName}' is {Status(status)}; only active versions can carry an alias.");
            var from = await MoveAliasAsync(connection, transaction, modelId, alias, (versionId, number), actor, at, reason, cancellationToken).ConfigureAwait(false);
            return new AliasChange { ModelName = modelName, Alias = alias, FromVersion = from, ToVersion = number, Actor = actor, At = at, Reason = reason };
        }, cancellationToken);

    public Task<AliasChange> RemoveAliasAsync(string modelName, string alias, string actor, DateTimeOffset at, string? reason, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            var modelId = await LockModelAsync(connection, transaction, modelName, at, cancellationToken).ConfigureAwait(false);
            var from = await AliasTargetAsync(connection, transaction, modelId, alias, cancellationToken).ConfigureAwait(false)
                ?? throw new RegistryNotFoundException($"Model '{modelName}' has no alias '{alias}'.");
            await Sql.ExecuteAsync(connection, transaction, "DELETE FROM aliases WHERE model_id = @model AND alias = @alias", cancellationToken,
                ("@model", modelId), ("@alias", alias)).ConfigureAwait(false);
            await RecordAliasEventAsync(connection, transaction, modelId, alias, from, null, actor, at, reason, cancellationToken).ConfigureAwait(false);
            return new AliasChange { ModelName = modelName, Alias = alias, FromVersion = from, ToVersion = null, Actor = actor, At = at, Reason = reason };
        }, cancellationToken);

    public Task<IReadOnlyList<AliasChange>> AliasHistoryAsync(string modelName, string? alias, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<AliasChange>>(async connection =>
        {
            var changes = await Sql.QueryAsync(connection, null,
                "SELECT e.alias, e.from_version, e.to_version, e.actor, e.at, e.reason FROM alias_events e JOIN models m ON m.id = e.model_id " +
                $"WHERE m.name = @name{(alias is null ? "" : " AND e.alias = @alias")} ORDER BY e.id",
                r => new AliasChange
                {
                    ModelName = modelName, Alias = r.GetString(0), FromVersion = r.NullableInt32(1), ToVersion = r.NullableInt32(2),
                    Actor = r.GetString(3), At = ReadTime(r, 4), Reason = r.NullableString(5),
                }, cancellationToken, alias is null ? [("@name", modelName)] : [("@name", modelName), ("@alias", alias)]).ConfigureAwait(false);
            if (changes.Count == 0 && await Sql.ScalarAsync(connection, null, "SELECT id FROM models WHERE name = @name", cancellationToken, ("@name", modelName)).ConfigureAwait(false) is null)
                throw ModelNotFound(modelName);
            return changes;
        }, cancellationToken);

    /// <summary>Points <paramref name="alias"/> at the version and records the move, unless it already points there; returns where it pointed before.</summary>
    private async Task<int?> MoveAliasAsync(DbConnection connection, DbTransaction transaction, long modelId, string alias, (long Id, int Number) version,
        string actor, DateTimeOffset at, string? reason, CancellationToken cancellationToken)
    {
        var from = await AliasTargetAsync(connection, transaction, modelId, alias, cancellationToken).ConfigureAwait(false);
        if (from == version.Number)
            return from;
        await Sql.ExecuteAsync(connection, transaction,
            "INSERT INTO aliases (model_id, alias, version_id, updated_by, updated_at) VALUES (@model, @alias, @version, @by, @at) " +
            "ON CONFLICT (model_id, alias) DO UPDATE SET version_id = excluded.version_id, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            cancellationToken, ("@model", modelId), ("@alias", alias), ("@version", version.Id), ("@by", actor), ("@at", Time(at))).ConfigureAwait(false);
        await RecordAliasEventAsync(connection, transaction, modelId, alias, from, version.Number, actor, at, reason, cancellationToken).ConfigureAwait(false);
        return from;
    }

    private static async Task<int?> AliasTargetAsync(DbConnection connection, DbTransaction transaction, long modelId, string alias, CancellationToken cancellationToken)
    {
        var value = await Sql.ScalarAsync(connection, transaction,
            "SELECT v.version FROM aliases a JOIN versions v ON v.id = a.version_id WHERE a.model_id = @model AND a.alias = @alias",
            cancellationToken, ("@model", modelId), ("@alias", alias)).ConfigureAwait(false);
        return value is null ? null : Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private Task<int> RecordAliasEventAsync(DbConnection connection, DbTransaction transaction, long modelId, string alias, int? from, int? to,
        string actor, DateTimeOffset at, string? reason, CancellationToken cancellationToken) =>
        Sql.ExecuteAsync(connection, transaction,
            "INSERT INTO alias_events (model_id, alias, from_version, to_version, actor, at, reason) VALUES (@model, @alias, @from, @to, @actor, @at, @reason)",
            cancellationToken, ("@model", modelId), ("@alias", alias), ("@from", from), ("@to", to), ("@actor", actor), ("@at", Time(at)), ("@reason", reason));
}
