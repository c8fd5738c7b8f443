using System.Data.Common;
using Microsoft.Data.Sqlite;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry.Sqlite;

/// <summary>
/// A registry database in one SQLite file. Connections use the write-ahead log (readers never wait for the writer),
/// foreign keys, <c>synchronous=FULL</c> (a committed version survives a power cut) and wait up to 30 s for another
/// process's write; every write transaction starts with <c>BEGIN IMMEDIATE</c>, so writers queue instead of deadlocking.
/// </summary>
public sealed class SqliteRegistryDatabase : RegistryDatabase
{
    private const int BusyTimeoutMilliseconds = 30_000;
    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteReadOnly = 8, SqliteCantOpen = 14, SqliteNotADatabase = 26;
    private static readonly IReadOnlyList<SchemaMigration> SchemaMigrations = SchemaMigration.FromResources(typeof(SqliteRegistryDatabase).Assembly);
    private readonly string connectionString;
    private int walEnabled;

    /// <summary>Uses the database file at <paramref name="path"/> (created when missing unless <paramref name="readOnly"/>).</summary>
    public SqliteRegistryDatabase(string path, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        ReadOnly = readOnly;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
            Pooling = true,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Whether connections are read-only.</summary>
    public bool ReadOnly { get; }

    /// <inheritdoc />
    public override string Location => Path;

    /// <inheritdoc />
    protected override IReadOnlyList<SchemaMigration> Migrations => SchemaMigrations;

    /// <inheritdoc />
    protected override DbConnection CreateConnection() => new SqliteConnection(connectionString);

    /// <inheritdoc />
    protected override async Task PrepareConnectionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (!ReadOnly && Interlocked.Exchange(ref walEnabled, 1) == 0)
        {
            // The journal mode is a property of the file; setting it once per process is enough and cheap when already set.
            command.CommandText = "PRAGMA journal_mode = WAL;";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task<bool> HasMigrationTableAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Timestamps are stored as Unix milliseconds (an INTEGER reads many times faster than ISO text parses).</summary>
    protected override object TimestampValue(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    /// <inheritdoc />
    protected override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    /// <summary>A JSON list read with SQLite's <c>json_each</c>: <c>column IN (SELECT value FROM json_each(@ids))</c>.</summary>
    protected override (string Condition, object ParameterValue) AnyOf(string column, string parameterName, IReadOnlyList<long> ids) =>
        ($"{column} IN (SELECT value FROM json_each({parameterName}))", "[" + string.Join(",", ids) + "]");

    /// <summary>Nothing to do: the transaction began with <c>BEGIN IMMEDIATE</c>, which already keeps other writers out.</summary>
    protected override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    protected override RegistryException? Translate(DbException exception) => exception switch
    {
        SqliteException { SqliteErrorCode: SqliteReadOnly } e => new RegistryPermissionException(
            $"The registry database {Path} is open read-only (or its file is not writable), so it cannot be changed: {e.Message}", e),
        SqliteException { SqliteErrorCode: SqliteCantOpen } e => new RegistryException($"The registry database {Path} cannot be opened: {e.Message}", e),
        SqliteException { SqliteErrorCode: SqliteNotADatabase } e => new RegistryException($"{Path} is not a SQLite registry database: {e.Message}", e),
        _ => null,
    };

    /// <inheritdoc />
    protected override bool IsTransient(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked };

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearPool(new SqliteConnection(connectionString));
        return base.DisposeAsync();
    }
}
