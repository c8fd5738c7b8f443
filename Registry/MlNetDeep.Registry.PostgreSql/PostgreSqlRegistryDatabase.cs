using System.Data.Common;
using MlNetDeep.Registry.Storage;
using Npgsql;

namespace MlNetDeep.Registry.PostgreSql;

/// <summary>
/// A registry database in PostgreSQL (11 or later). Tables live in the connection's current schema; JSON columns are
/// <c>json</c>, so what was recorded reads back as written and can be queried with PostgreSQL's JSON operators.
/// Transactions run at READ COMMITTED; writes to one model serialize on its row.
/// </summary>
public sealed class PostgreSqlRegistryDatabase : RegistryDatabase
{
    private const long MigrationLockKey = 0x4D4C4E4554524547; // "MLNETREG"
    private static readonly IReadOnlyList<SchemaMigration> SchemaMigrations = SchemaMigration.FromResources(typeof(PostgreSqlRegistryDatabase).Assembly);
    private readonly NpgsqlDataSource dataSource;
    private readonly bool ownsDataSource;

    /// <summary>
    /// Connects with <paramref name="connectionString"/>. Unless it says otherwise, statements the registry repeats are
    /// prepared automatically (<c>Max Auto Prepare</c> 64), which saves PostgreSQL planning them on every call.
    /// </summary>
    public PostgreSqlRegistryDatabase(string connectionString)
        : this(NpgsqlDataSource.Create(WithAutoPrepare(connectionString)), ownsDataSource: true)
    {
    }

    /// <summary>Connects through <paramref name="dataSource"/> (not disposed with the registry).</summary>
    public PostgreSqlRegistryDatabase(NpgsqlDataSource dataSource)
        : this(dataSource, ownsDataSource: false)
    {
    }

    private PostgreSqlRegistryDatabase(NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        this.dataSource = dataSource;
        this.ownsDataSource = ownsDataSource;
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Location = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
    }

    /// <inheritdoc />
    public override string Location { get; }

    /// <inheritdoc />
    protected override IReadOnlyList<SchemaMigration> Migrations => SchemaMigrations;

    /// <inheritdoc />
    protected override DbConnection CreateConnection() => dataSource.CreateConnection();

    /// <inheritdoc />
    protected override async Task<bool> HasMigrationTableAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT to_regclass('schema_migrations') IS NOT NULL";
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Takes a transaction-scoped advisory lock, which any role may take, so concurrent first opens migrate one at a time.</summary>
    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT pg_advisory_xact_lock(@key)";
        command.Parameters.Add(new NpgsqlParameter("key", MigrationLockKey));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override string JsonValue(string parameterName) => $"CAST({parameterName} AS json)";

    /// <summary>An array parameter: <c>column = ANY(@ids)</c>.</summary>
    protected override (string Condition, object ParameterValue) AnyOf(string column, string parameterName, IReadOnlyList<long> ids) =>
        ($"{column} = ANY({parameterName})", ids.ToArray());

    /// <inheritdoc />
    protected override RegistryException? Translate(DbException exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ReadOnlySqlTransaction } e =>
            new RegistryPermissionException(
                $"The database role '{new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Username}' may not change the registry at {Location} ({e.MessageText}). " +
                "Reading needs the read-only grant; registering, promoting, archiving and deleting need the read-write grant (see the README, 'Roles').", e),
        _ => null,
    };

    /// <inheritdoc />
    protected override bool IsTransient(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.LockNotAvailable };

    private static string WithAutoPrepare(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }
        return builder.ConnectionString;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (ownsDataSource)
            await dataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
