using MlNetDeep.Registry.PostgreSql;
using MlNetDeep.Registry.Sqlite;
using Npgsql;

namespace MlNetDeep.Registry.Tests;

/// <summary>A fresh, empty registry on one storage back-end, removed again when disposed.</summary>
public abstract class RegistryBackend : IAsyncDisposable
{
    protected RegistryBackend()
    {
        Folder = Directory.CreateTempSubdirectory("mlnetdeep-registry-").FullName;
    }

    /// <summary>A temporary folder the test owns (artifacts live under it).</summary>
    public string Folder { get; }

    public string ArtifactFolder => Path.Combine(Folder, SqliteRegistry.ArtifactFolderName);

    /// <summary>Opens the registry (another connection to the same one on every call).</summary>
    public abstract Task<ModelRegistry> OpenAsync();

    /// <summary>The worker process's arguments that open this registry.</summary>
    public abstract string[] WorkerArguments { get; }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed class SqliteBackend : RegistryBackend
{
    public override Task<ModelRegistry> OpenAsync() => SqliteRegistry.OpenAsync(Folder);

    public override string[] WorkerArguments => ["--sqlite", Folder];
}

/// <summary>A schema of its own on the test server, so tests run side by side; dropped when disposed.</summary>
public sealed class PostgreSqlBackend : RegistryBackend
{
    private readonly string serverConnectionString;

    public PostgreSqlBackend()
    {
        serverConnectionString = RequiresPostgreSqlAttribute.ConnectionString
            ?? throw new InvalidOperationException($"{RequiresPostgreSqlAttribute.Variable} is not set.");
        Schema = $"registry_test_{Guid.NewGuid():N}";
        using (var connection = new NpgsqlConnection(serverConnectionString))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE SCHEMA {Schema}", connection);
            create.ExecuteNonQuery();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { SearchPath = Schema }.ToString();
    }

    public string Schema { get; }

    public string ConnectionString { get; }

    public string ServerConnectionString => serverConnectionString;

    public override Task<ModelRegistry> OpenAsync() => PostgreSqlRegistry.OpenAsync(ConnectionString, ArtifactFolder);

    public override string[] WorkerArguments => ["--postgres", ConnectionString, "--artifacts", ArtifactFolder];

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using (var connection = new NpgsqlConnection(serverConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA {Schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
        await base.DisposeAsync();
    }
}
