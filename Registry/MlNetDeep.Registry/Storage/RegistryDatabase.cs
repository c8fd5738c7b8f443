using System.Data.Common;

namespace MlNetDeep.Registry.Storage;

/// <summary>
/// A database that holds a registry's metadata. The registry's SQL is shared by all providers (standard SQL with
/// <c>@name</c> parameters, <c>ON CONFLICT</c> and <c>RETURNING</c>); a provider supplies connections, its schema
/// migrations, the migration lock and the translation of its errors. See MlNetDeep.Registry.Sqlite and
/// MlNetDeep.Registry.PostgreSql.
/// </summary>
public abstract class RegistryDatabase : IAsyncDisposable
{
    /// <summary>A description for messages (file path or host and database), without secrets.</summary>
    public abstract string Location { get; }

    /// <summary>The schema migrations, in version order.</summary>
    protected internal abstract IReadOnlyList<SchemaMigration> Migrations { get; }

    /// <summary>Creates a connection; the registry opens it, uses it for one operation and disposes it.</summary>
    protected internal abstract DbConnection CreateConnection();

    /// <summary>Called after each connection opens (e.g. to set SQLite's pragmas).</summary>
    protected internal virtual Task PrepareConnectionAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether the table that records applied migrations exists.</summary>
    protected internal abstract Task<bool> HasMigrationTableAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Inside <paramref name="transaction"/>, waits until no other process is migrating, and keeps others out until it ends.</summary>
    protected internal abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>The SQL that reads parameter <paramref name="parameterName"/> (a string) as a value of the JSON column type.</summary>
    protected internal virtual string JsonValue(string parameterName) => parameterName;

    /// <summary>The parameter value that stores <paramref name="at"/> (UTC) in a timestamp column. Default: the <see cref="DateTimeOffset"/> itself.</summary>
    protected internal virtual object TimestampValue(DateTimeOffset at) => at;

    /// <summary>Reads a timestamp column written from <see cref="TimestampValue"/>, in UTC.</summary>
    protected internal virtual DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();

    /// <summary>
    /// A condition that is true when <paramref name="column"/> is one of <paramref name="ids"/>, and the value of its one
    /// parameter <paramref name="parameterName"/> (an array, a JSON list, …), so that any number of ids costs one parameter.
    /// </summary>
    protected internal abstract (string Condition, object ParameterValue) AnyOf(string column, string parameterName, IReadOnlyList<long> ids);

    /// <summary>A provider error as the registry's own exception (permission denied, read-only database), or null to keep it.</summary>
    protected internal abstract RegistryException? Translate(DbException exception);

    /// <summary>Whether retrying the whole transaction may succeed (busy database, serialization failure, deadlock).</summary>
    protected internal abstract bool IsTransient(DbException exception);

    /// <summary>Releases pooled connections.</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>One step of the schema, applied once, in order, inside a transaction, and recorded with its checksum.</summary>
/// <param name="Version">Its number: 1, 2, … without gaps.</param>
/// <param name="Name">What it does, e.g. "initial".</param>
/// <param name="Sql">Its statements.</param>
public sealed record SchemaMigration(int Version, string Name, string Sql)
{
    /// <summary>The SHA-256 of <see cref="Sql"/> (line endings normalized): a migration changed after it was applied is refused.</summary>
    public string Checksum => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n").Trim())));

    /// <summary>Reads the migrations embedded in <paramref name="assembly"/> as resources named <c>…NNNN_name.sql</c>.</summary>
    public static IReadOnlyList<SchemaMigration> FromResources(System.Reflection.Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = resource[..^4];
            file = file[(file.LastIndexOf('.') + 1)..];
            var underscore = file.IndexOf('_');
            if (underscore <= 0 || !int.TryParse(file[..underscore], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
                throw new InvalidOperationException($"Migration resource '{resource}' must be named NNNN_name.sql.");
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            migrations.Add(new SchemaMigration(version, file[(underscore + 1)..], reader.ReadToEnd()));
        }
        return migrations.OrderBy(m => m.Version).ToArray();
    }
}
