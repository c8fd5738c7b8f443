using System.Data.Common;
using Microsoft.Data.Sqlite;
using MlNetDeep.Registry.Sqlite;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry.Tests;

[TestClass]
public sealed class SchemaMigratorTests
{
    /// <summary>A SQLite registry database with the migrations a test gives.</summary>
    private sealed class TestDatabase(string path, IReadOnlyList<SchemaMigration> migrations) : RegistryDatabase
    {
        private readonly SqliteRegistryDatabase inner = new(path);

        public override string Location => path;

        protected internal override IReadOnlyList<SchemaMigration> Migrations => migrations;

        protected internal override DbConnection CreateConnection() => new SqliteConnection($"Data Source={path}");

        protected internal override async Task<bool> HasMigrationTableAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'";
            return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
        }

        protected internal override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

        protected internal override (string Condition, object ParameterValue) AnyOf(string column, string parameterName, IReadOnlyList<long> ids) =>
            throw new NotSupportedException("Migration tests read no versions.");

        protected internal override RegistryException? Translate(DbException exception) => null;

        protected internal override bool IsTransient(DbException exception) => false;

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private static readonly SchemaMigration First = new(1, "models", "CREATE TABLE models (id INTEGER PRIMARY KEY)");
    private static readonly SchemaMigration Second = new(2, "names", "ALTER TABLE models ADD COLUMN name TEXT");

    private string folder = null!;

    private string DatabasePath => Path.Combine(folder, "registry.db");

    [TestInitialize]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("mlnetdeep-migrations-").FullName;

    [TestCleanup]
    public void RemoveFolder()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [TestMethod]
    public async Task MigrationsAreAppliedOnceAndInOrder()
    {
        await using var database = new TestDatabase(DatabasePath, [First, Second]);

        var first = await SchemaMigrator.MigrateAsync(database, CancellationToken.None);
        var second = await SchemaMigrator.MigrateAsync(database, CancellationToken.None);

        CollectionAssert.AreEqual(new[] { 1, 2 }, first.ToArray());
        Assert.IsEmpty(second);
    }

    [TestMethod]
    public async Task ANewMigrationIsAppliedToADatabaseThatHasTheEarlierOnes()
    {
        await using (var old = new TestDatabase(DatabasePath, [First]))
            await SchemaMigrator.MigrateAsync(old, CancellationToken.None);
        await using var current = new TestDatabase(DatabasePath, [First, Second]);

        var applied = await SchemaMigrator.MigrateAsync(current, CancellationToken.None);

        CollectionAssert.AreEqual(new[] { 2 }, applied.ToArray());
    }

    [TestMethod]
    public async Task ADatabaseWithANewerSchemaIsRefused()
    {
        await using (var newer = new TestDatabase(DatabasePath, [First, Second]))
            await SchemaMigrator.MigrateAsync(newer, CancellationToken.None);
        await using var older = new TestDatabase(DatabasePath, [First]);

        var error = await Assert.ThrowsExactlyAsync<RegistrySchemaException>(() => SchemaMigrator.MigrateAsync(older, CancellationToken.None));

        StringAssert.Contains(error.Message, "has schema version 2; this library knows versions up to 1");
    }

    [TestMethod]
    public async Task AMigrationChangedAfterItWasAppliedIsRefused()
    {
        await using (var original = new TestDatabase(DatabasePath, [First]))
            await SchemaMigrator.MigrateAsync(original, CancellationToken.None);
        await using var edited = new TestDatabase(DatabasePath, [First with { Sql = "CREATE TABLE models (id INTEGER PRIMARY KEY, extra TEXT)" }]);

        var error = await Assert.ThrowsExactlyAsync<RegistrySchemaException>(() => SchemaMigrator.MigrateAsync(edited, CancellationToken.None));

        StringAssert.Contains(error.Message, "was applied with different SQL");
    }

    [TestMethod]
    public async Task AFailingMigrationLeavesTheDatabaseAsItWas()
    {
        await using var database = new TestDatabase(DatabasePath, [First, new SchemaMigration(2, "broken", "ALTER TABLE no_such_table ADD COLUMN x TEXT")]);

        await Assert.ThrowsExactlyAsync<SqliteException>(() => SchemaMigrator.MigrateAsync(database, CancellationToken.None));
        await using var firstOnly = new TestDatabase(DatabasePath, [First]);

        CollectionAssert.AreEqual(new[] { 1 }, (await SchemaMigrator.MigrateAsync(firstOnly, CancellationToken.None)).ToArray());
    }

    [TestMethod]
    public async Task AReadOnlyRegistryCanBeReadButNotChanged()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(folder, "model.zip"));
        await using (var writable = await SqliteRegistry.OpenAsync(folder))
            await writable.RegisterFileAsync("flowers", modelPath);
        await using var readOnly = await SqliteRegistry.OpenAsync(folder, readOnly: true);

        var models = await readOnly.ListModelsAsync();
        var error = await Assert.ThrowsExactlyAsync<RegistryPermissionException>(() => readOnly.SetAliasAsync("flowers", "production", 1));

        Assert.AreEqual("flowers", models.Single().Name);
        StringAssert.Contains(error.Message, "read-only");
    }

    [TestMethod]
    public async Task OpeningAMissingRegistryReadOnlyDoesNotCreateIt()
    {
        var missing = Path.Combine(folder, "nothing-here");

        var error = await Assert.ThrowsExactlyAsync<RegistryNotFoundException>(() => SqliteRegistry.OpenAsync(missing, readOnly: true));

        StringAssert.Contains(error.Message, "There is no registry");
        Assert.IsFalse(Directory.Exists(missing));
    }
}
