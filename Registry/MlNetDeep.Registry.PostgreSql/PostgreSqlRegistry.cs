using System.Text.RegularExpressions;
using MlNetDeep.Registry.Storage;
using Npgsql;

namespace MlNetDeep.Registry.PostgreSql;

/// <summary>What a database role may do with a registry.</summary>
public enum RegistryAccess
{
    /// <summary>List, show, compare, search, load and export; nothing that changes the registry.</summary>
    ReadOnly,

    /// <summary>Everything but schema changes: register, promote, archive, delete, log runs.</summary>
    ReadWrite,
}

/// <summary>
/// Opens a registry whose metadata is in PostgreSQL (shared by a team) and whose files are in a folder every user of
/// the registry can reach (a network share), or in another <see cref="IArtifactStore"/>.
/// </summary>
public static partial class PostgreSqlRegistry
{
    /// <summary>Opens the registry in the database of <paramref name="connectionString"/>, creating or migrating its tables when the role may.</summary>
    public static Task<ModelRegistry> OpenAsync(string connectionString, string artifactFolder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(artifactFolder);
        return OpenAsync(new PostgreSqlRegistryDatabase(connectionString), new FileArtifactStore(artifactFolder), cancellationToken);
    }

    /// <summary>Opens the registry over <paramref name="database"/> and <paramref name="artifacts"/>.</summary>
    public static Task<ModelRegistry> OpenAsync(PostgreSqlRegistryDatabase database, IArtifactStore artifacts, CancellationToken cancellationToken = default) =>
        ModelRegistry.OpenAsync(database, artifacts, cancellationToken);

    /// <summary>
    /// Grants <paramref name="role"/> (an existing role) <paramref name="access"/> to the registry's tables in the schema
    /// they live in. Run it as the role that owns the tables, after the registry was opened once (which creates them).
    /// </summary>
    /// <exception cref="ArgumentException">The role name is not a plain identifier.</exception>
    public static async Task GrantAsync(string connectionString, string role, RegistryAccess access, CancellationToken cancellationToken = default)
    {
        if (role is null || !RoleName().IsMatch(role))
            throw new ArgumentException($"Role name '{role}' is not valid: use 1-63 letters, digits or '_', starting with a letter or '_'.", nameof(role));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var schemaCommand = new NpgsqlCommand("SELECT current_schema()", connection);
        var schema = (string)(await schemaCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        // GRANT takes identifiers, not parameters: both names are quoted, the role after validation above.
        var quotedRole = Quote(role);
        var quotedSchema = Quote(schema);
        var privileges = access == RegistryAccess.ReadOnly ? "SELECT" : "SELECT, INSERT, UPDATE, DELETE";
        var sql = $"GRANT USAGE ON SCHEMA {quotedSchema} TO {quotedRole}; GRANT {privileges} ON ALL TABLES IN SCHEMA {quotedSchema} TO {quotedRole};" +
            (access == RegistryAccess.ReadWrite ? $" GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quotedSchema} TO {quotedRole};" : "");
        await using var grant = new NpgsqlCommand(sql, connection);
        await grant.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex RoleName();
}
