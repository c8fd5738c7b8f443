using Microsoft.ML;
using MlNetDeep.Registry.PostgreSql;
using Npgsql;

namespace MlNetDeep.Registry.Tests;

/// <summary>The registry's two grants on a real server: a read-only role reads and loads but cannot change anything.</summary>
[TestClass]
[RequiresPostgreSql]
public sealed class PostgreSqlRoleTests
{
    private PostgreSqlBackend backend = null!;
    private string role = null!;

    [TestInitialize]
    public async Task CreateRoleAsync()
    {
        backend = new PostgreSqlBackend();
        role = $"registry_user_{Guid.NewGuid():N}"[..30];
        await ExecuteAsync($"CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {backend.Schema} TO {role}");
    }

    [TestCleanup]
    public async Task DropRoleAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
        await backend.DisposeAsync();
    }

    [TestMethod]
    public async Task AReadOnlyRoleCanListAndLoadButNotPromoteOrRegister()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(backend.Folder, "model.zip"));
        await using (var owner = await backend.OpenAsync())
            await owner.RegisterFileAsync("flowers", modelPath);
        await PostgreSqlRegistry.GrantAsync(backend.ConnectionString, role, RegistryAccess.ReadOnly);
        await using var reader = await PostgreSqlRegistry.OpenAsync(AsRole(), backend.ArtifactFolder);

        var models = await reader.ListModelsAsync();
        using var loaded = await reader.LoadAsync(new MLContext(), "flowers", VersionSelector.Latest);
        var promote = await Assert.ThrowsExactlyAsync<RegistryPermissionException>(() => reader.SetAliasAsync("flowers", "production", 1));
        await Assert.ThrowsExactlyAsync<RegistryPermissionException>(() => reader.RegisterFileAsync("flowers", modelPath));

        Assert.AreEqual("flowers", models.Single().Name);
        StringAssert.Contains(promote.Message, $"role '{role}' may not change the registry");
        Assert.AreEqual(1, (await reader.ResolveAsync("flowers", VersionSelector.Latest)).Version);
    }

    [TestMethod]
    public async Task AReadWriteRoleCanRegisterAndPromote()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(backend.Folder, "model.zip"));
        await using (var owner = await backend.OpenAsync())
            await owner.RegisterFileAsync("flowers", modelPath);
        await PostgreSqlRegistry.GrantAsync(backend.ConnectionString, role, RegistryAccess.ReadWrite);
        await using var writer = await PostgreSqlRegistry.OpenAsync(AsRole(), backend.ArtifactFolder);

        var version = await writer.RegisterFileAsync("flowers", modelPath);
        var change = await writer.SetAliasAsync("flowers", "production", version.Version);

        Assert.AreEqual((2, 2), (version.Version, change.ToVersion));
    }

    [TestMethod]
    public async Task ARoleWithoutCreateRightsCannotCreateTheRegistrysTables()
    {
        var error = await Assert.ThrowsExactlyAsync<RegistrySchemaException>(() => PostgreSqlRegistry.OpenAsync(AsRole(), backend.ArtifactFolder));

        StringAssert.Contains(error.Message, "Open it once with the owner role");
    }

    [TestMethod]
    public async Task ARoleNameThatIsNotAPlainIdentifierIsRefused()
    {
        var error = await Assert.ThrowsExactlyAsync<ArgumentException>(() => PostgreSqlRegistry.GrantAsync(backend.ConnectionString, "x; DROP TABLE models", RegistryAccess.ReadOnly));

        StringAssert.Contains(error.Message, "is not valid");
    }

    private string AsRole() => new NpgsqlConnectionStringBuilder(backend.ConnectionString) { Username = role }.ToString();

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(backend.ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
