using System.Data.Common;
using System.Globalization;

namespace MlNetDeep.Registry.Storage;

/// <summary>
/// Brings a registry database to the schema this library needs. Each process checks on open: when every migration is
/// recorded (with an unchanged checksum) it writes nothing, so read-only roles can open a registry; otherwise it takes
/// the provider's migration lock, re-reads what is applied and applies the rest in one transaction, so processes that
/// open a new registry at the same moment do not race.
/// </summary>
internal static class SchemaMigrator
{
    private const string CreateTable =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)";

    /// <summary>Applies what is missing; returns the versions it applied.</summary>
    public static async Task<IReadOnlyList<int>> MigrateAsync(RegistryDatabase database, CancellationToken cancellationToken)
    {
        var migrations = database.Migrations;
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"Migrations must be numbered 1, 2, … without gaps; found {migrations[i].Version} at position {i + 1}.");
        }

        await using var connection = database.CreateConnection();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await database.PrepareConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
        if (await database.HasMigrationTableAsync(connection, cancellationToken).ConfigureAwait(false)
            && Pending(database, migrations, await AppliedAsync(connection, null, cancellationToken).ConfigureAwait(false)).Count == 0)
            return [];

        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await database.LockForMigrationAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, CreateTable, cancellationToken).ConfigureAwait(false);
            var pending = Pending(database, migrations, await AppliedAsync(connection, transaction, cancellationToken).ConfigureAwait(false));
            foreach (var migration in pending)
            {
                await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
                await using var record = connection.CreateCommand();
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@version, @name, @checksum, @at)";
                Sql.Add(record, "@version", migration.Version);
                Sql.Add(record, "@name", migration.Name);
                Sql.Add(record, "@checksum", migration.Checksum);
                Sql.Add(record, "@at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return pending.Select(m => m.Version).ToArray();
        }
        catch (DbException e) when (database.Translate(e) is { } translated)
        {
            throw new RegistrySchemaException(
                $"The registry at {database.Location} needs schema migrations that this connection may not apply ({translated.Message}). Open it once with the owner role to migrate it.");
        }
    }

    private static List<SchemaMigration> Pending(RegistryDatabase database, IReadOnlyList<SchemaMigration> migrations, Dictionary<int, string> applied)
    {
        var newest = applied.Count == 0 ? 0 : applied.Keys.Max();
        if (newest > migrations.Count)
            throw new RegistrySchemaException($"The registry at {database.Location} has schema version {newest}; this library knows versions up to {migrations.Count}. Update MlNetDeep.Registry.");
        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var checksum) && checksum != migration.Checksum)
                throw new RegistrySchemaException($"Migration {migration.Version} ({migration.Name}) of the registry at {database.Location} was applied with different SQL than this library carries (checksum {checksum}, expected {migration.Checksum}).");
        }
        return migrations.Where(m => !applied.ContainsKey(m.Version)).ToList();
    }

    private static async Task<Dictionary<int, string>> AppliedAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version, checksum FROM schema_migrations";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var applied = new Dictionary<int, string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            applied[reader.GetInt32(0)] = reader.GetString(1);
        return applied;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
