using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MlNetDeep.Registry.PostgreSql;
using MlNetDeep.Registry.Tests;
using MlNetDeep.Serving;
using Npgsql;
using static MlNetDeep.Registry.Serving.Tests.PriceModels;

namespace MlNetDeep.Registry.Serving.Tests;

/// <summary>
/// A pool serving an alias from a PostgreSQL registry whose database stops accepting connections, as when the server is
/// down or the network is cut, and then comes back.
/// </summary>
[TestClass]
[RequiresPostgreSql]
public sealed class UnreachableRegistryTests
{
    private string database = null!;
    private string connectionString = null!;
    private string artifacts = null!;

    [TestInitialize]
    public async Task CreateDatabase()
    {
        database = $"served_registry_{Guid.NewGuid():N}";
        await Server($"CREATE DATABASE {database}");
        connectionString = new NpgsqlConnectionStringBuilder(RequiresPostgreSqlAttribute.ConnectionString) { Database = database }.ToString();
        artifacts = Directory.CreateTempSubdirectory("mlnetdeep-served-pg-").FullName;
    }

    [TestCleanup]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await Server($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        Directory.Delete(artifacts, recursive: true);
    }

    [TestMethod]
    public async Task ARegistryThatCannotBeReachedKeepsTheVersionServingShowsDegradedHealthAndRecovers()
    {
        await using (var registry = await PostgreSqlRegistry.OpenAsync(connectionString, artifacts))
        {
            await registry.RegisterFileAsync("prices", BySlope[2], new ModelVersionDetails());
            await registry.RegisterFileAsync("prices", BySlope[-3], new ModelVersionDetails());
            await registry.SetAliasAsync("prices", "production", 1);
        }
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<HouseInput, PricePrediction>()
            .FromRegistry(ct => PostgreSqlRegistry.OpenAsync(connectionString, artifacts, ct), "prices", "production", TimeSpan.FromMilliseconds(100));
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<HouseInput, PricePrediction>>();
        var health = new PredictionEnginePoolHealthCheck<HouseInput, PricePrediction>(provider);
        Assert.AreEqual(HealthStatus.Healthy, (await Check(health)).Status);

        await Server($"ALTER DATABASE {database} ALLOW_CONNECTIONS false");
        await Server($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'");

        var degraded = await Until(health, HealthStatus.Degraded, TimeSpan.FromSeconds(10));
        Assert.IsNotNull(degraded, "the health check did not report the unreachable registry");
        StringAssert.Contains(degraded.Value.Description, "model default keeps version prices@1 without seeing newer ones: polling registry prices@production");
        StringAssert.Contains((string)degraded.Value.Data["default.sourceWatchError"], database, "the error names the database polled");
        Assert.IsTrue(IsFrom(2, pool.Predict(Probe).Score), "version 1 keeps serving while the registry is unreachable");

        await Server($"ALTER DATABASE {database} ALLOW_CONNECTIONS true");

        Assert.IsNotNull(await Until(health, HealthStatus.Healthy, TimeSpan.FromSeconds(10)), "the health check did not recover");
        await using (var registry = await PostgreSqlRegistry.OpenAsync(connectionString, artifacts))
            await registry.SetAliasAsync("prices", "production", 2);
        var clock = Stopwatch.StartNew();
        while (!IsFrom(-3, pool.Predict(Probe).Score))
        {
            Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(5), "a promotion after the outage was not served");
            await Task.Delay(20);
        }
    }

    private static Task<HealthCheckResult> Check(PredictionEnginePoolHealthCheck<HouseInput, PricePrediction> health) =>
        health.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("models", health, HealthStatus.Unhealthy, null) });

    private static async Task<HealthCheckResult?> Until(PredictionEnginePoolHealthCheck<HouseInput, PricePrediction> health, HealthStatus wanted, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var result = await Check(health);
            if (result.Status == wanted)
                return result;
            await Task.Delay(50);
        }
        return null;
    }

    private static async Task Server(string sql)
    {
        await using var connection = new NpgsqlConnection(RequiresPostgreSqlAttribute.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
