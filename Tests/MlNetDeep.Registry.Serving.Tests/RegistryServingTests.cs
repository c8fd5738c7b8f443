using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using MlNetDeep.Registry.Sqlite;
using MlNetDeep.Registry.Storage;
using MlNetDeep.Serving;
using static MlNetDeep.Registry.Serving.Tests.PriceModels;

namespace MlNetDeep.Registry.Serving.Tests;

/// <summary>A PredictionEnginePool serving a registry alias, on a real SQLite registry in a temporary folder.</summary>
[TestClass]
public sealed class RegistryServingTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private string folder = null!;
    private ModelRegistry registry = null!;

    [TestInitialize]
    public async Task OpenRegistry()
    {
        folder = Directory.CreateTempSubdirectory("mlnetdeep-served-registry-").FullName;
        registry = await SqliteRegistry.OpenAsync(folder);
    }

    [TestCleanup]
    public async Task RemoveRegistry()
    {
        await registry.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [TestMethod]
    public async Task PromotingAnotherVersionIsServedWithinTwoSecondsAndReported()
    {
        await RegisterAsync(2, -3);
        await registry.SetAliasAsync("prices", "production", 1);
        using var services = Serve(p => p.FromRegistry(registry, "prices", "production", Poll));
        var pool = Pool(services);
        ModelReloadedEventArgs? reloaded = null;
        pool.ModelReloaded += (_, e) => reloaded = e;
        Assert.IsTrue(IsFrom(2, pool.Predict(Probe).Score));
        Assert.AreEqual("prices@1", pool.GetStatus().Version);

        await registry.SetAliasAsync("prices", "production", 2, "better on the holdout");

        Assert.IsNotNull(await Until(() => IsFrom(-3, pool.Predict(Probe).Score), TimeSpan.FromSeconds(2)), "version 2 was not served within 2 s");
        Assert.IsNotNull(await Until(() => reloaded is not null, TimeSpan.FromSeconds(1)));
        Assert.AreEqual("prices@2", reloaded!.Version);
        Assert.AreEqual("prices@1", reloaded.PreviousVersion);
        Assert.AreEqual("prices@2", pool.GetStatus().Version);
    }

    [TestMethod]
    public async Task AVersionWithADamagedArtifactKeepsTheServedVersionAndALaterGoodVersionIsServed()
    {
        await RegisterAsync(2, -3, 5);
        await registry.SetAliasAsync("prices", "production", 1);
        using var services = Serve(p => p.FromRegistry(registry, "prices", "production", Poll));
        var pool = Pool(services);
        var damaged = (await registry.ResolveAsync("prices", VersionSelector.Version(2))).ModelArtifact;
        var path = ((FileArtifactStore)registry.Artifacts).PathOf(damaged.Sha256);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        await registry.SetAliasAsync("prices", "production", 2);

        Assert.IsNotNull(await Until(() => pool.GetStatus().LastReloadError is not null, TimeSpan.FromSeconds(5)));
        StringAssert.Contains(pool.GetStatus().LastReloadError, "prices@2 was changed or damaged after registration");
        Assert.IsTrue(IsFrom(2, pool.Predict(Probe).Score), "version 1 keeps serving");
        Assert.AreEqual("prices@1", pool.GetStatus().Version);
        Assert.IsTrue(pool.GetStatus().IsServingStaleVersion);

        await registry.SetAliasAsync("prices", "production", 3);

        Assert.IsNotNull(await Until(() => IsFrom(5, pool.Predict(Probe).Score), TimeSpan.FromSeconds(5)), "a later good version is served");
        Assert.AreEqual("prices@3", pool.GetStatus().Version);
    }

    [TestMethod]
    public async Task ARegistryOpenedReadOnlyByThePoolServesTheAliasAndFollowsIt()
    {
        await RegisterAsync(2, -3);
        await registry.SetAliasAsync("prices", "staging", 1);
        var opened = 0;
        using var services = Serve(p => p.FromRegistry("staging", ct =>
        {
            Interlocked.Increment(ref opened);
            return SqliteRegistry.OpenAsync(folder, readOnly: true, ct);
        }, "prices", "staging", Poll));
        var pool = Pool(services);
        Assert.IsTrue(IsFrom(2, pool.Predict("staging", Probe).Score));

        await registry.SetAliasAsync("prices", "staging", 2);

        Assert.IsNotNull(await Until(() => IsFrom(-3, pool.Predict("staging", Probe).Score), TimeSpan.FromSeconds(2)));
        Assert.AreEqual(1, opened);
    }

    [TestMethod]
    public async Task AnAliasThatPointsToNoVersionStopsThePoolFromStartingAndNamesTheAlias()
    {
        await RegisterAsync(2);
        using var services = Serve(p => p.FromRegistry(registry, "prices", "production", Poll));

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Pool(services));

        StringAssert.Contains(error.Message, "Alias 'production' of model 'prices' points to no version");
    }

    [TestMethod]
    public async Task AnAliasMovedBeforeThePoolAsksForItsFirstReloadTokenIsStillFollowed()
    {
        await RegisterAsync(2, -3);
        await registry.SetAliasAsync("prices", "production", 1);
        using var source = new RegistryModelSource(registry, "prices", "production", TimeSpan.FromMilliseconds(20));
        var ml = new MLContext();
        var first = await source.LoadAsync(ml, CancellationToken.None);
        (first.Model as IDisposable)?.Dispose();

        await registry.SetAliasAsync("prices", "production", 2);
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.IsTrue(source.GetReloadToken().HasChanged, "the move seen while no token was out is signalled");
        Assert.IsFalse(source.GetReloadToken().HasChanged, "and signalled once");
        var second = await source.LoadAsync(ml, CancellationToken.None);
        (second.Model as IDisposable)?.Dispose();
        Assert.AreEqual("prices@2", second.Version);
    }

    [TestMethod]
    public void AModelNameThatIsNotValidIsRefusedWhenThePoolIsConfigured()
    {
        var builder = new ServiceCollection().AddPredictionEnginePool<HouseInput, PricePrediction>();

        var error = Assert.ThrowsExactly<ArgumentException>(() => builder.FromRegistry(registry, "../prices", "production"));

        Assert.AreEqual("modelName", error.ParamName);
    }

    private async Task RegisterAsync(params int[] slopes)
    {
        foreach (var slope in slopes)
            await registry.RegisterFileAsync("prices", BySlope[slope], new ModelVersionDetails { Description = $"slope {slope}" });
    }

    private static ServiceProvider Serve(Action<PredictionEnginePoolBuilder<HouseInput, PricePrediction>> configure)
    {
        var services = new ServiceCollection();
        configure(services.AddPredictionEnginePool<HouseInput, PricePrediction>());
        return services.BuildServiceProvider();
    }

    private static PredictionEnginePool<HouseInput, PricePrediction> Pool(IServiceProvider services) =>
        services.GetRequiredService<PredictionEnginePool<HouseInput, PricePrediction>>();

    private static async Task<TimeSpan?> Until(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
                return clock.Elapsed;
            await Task.Delay(10);
        }
        return condition() ? clock.Elapsed : null;
    }
}
