using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using WebApi;
using static MlNetDeep.Serving.Tests.TestModels;

namespace MlNetDeep.Serving.Tests;

[TestClass]
public sealed class PredictionEnginePoolTests
{
    [TestMethod]
    public void PredictEqualsABarePredictionEngineForAnMlNetDeepModel()
    {
        using var services = Pools.Create(p => p.FromFile(FeedForwardA));
        var pool = services.Pool();
        var expected = Expected(FeedForwardA);
        for (var i = 0; i < Probes.Length; i++)
            Assert.IsTrue(Same(expected[i], pool.Predict(Probes[i])), $"probe {i}");
    }

    [TestMethod]
    public void APlainMlNetModelIsServedToo()
    {
        using var services = Pools.Create(p => p.FromFile(PlainMlNet, watchForChanges: false));
        var pool = services.Pool();
        var expected = Expected(PlainMlNet);
        for (var i = 0; i < Probes.Length; i++)
            Assert.IsTrue(Same(expected[i], pool.Predict(Probes[i])), $"probe {i}");
    }

    [TestMethod]
    public void NamedModelsAndTheDefaultModelEachAnswerWithTheirOwnModel()
    {
        using var services = Pools.Create(p => p
            .FromFile(FeedForwardA)
            .FromFile(modelName: "b", filePath: FeedForwardB, watchForChanges: false)
            .FromFile("plain", PlainMlNet));
        var pool = services.Pool();
        CollectionAssert.AreEquivalent(new[] { "", "b", "plain" }, pool.ModelNames.ToArray());
        Assert.IsTrue(Same(Expected(FeedForwardA)[0], pool.Predict(Probes[0])));
        Assert.IsTrue(Same(Expected(FeedForwardA)[0], pool.Predict("", Probes[0])));
        Assert.IsTrue(Same(Expected(FeedForwardB)[0], pool.Predict("b", Probes[0])));
        Assert.IsTrue(Same(Expected(PlainMlNet)[0], pool.Predict("plain", Probes[0])));
        Assert.IsFalse(Same(Expected(FeedForwardA)[0], pool.Predict("b", Probes[0])), "the two networks must differ for this test to mean anything");
    }

    [TestMethod]
    public void AnUnknownModelNameIsAnErrorListingTheServedModels()
    {
        using var services = Pools.Create(p => p.FromFile("a", FeedForwardA));
        var error = Assert.ThrowsExactly<ArgumentException>(() => services.Pool().Predict("nope", Probes[0]));
        StringAssert.Contains(error.Message, "no model named 'nope'");
        StringAssert.Contains(error.Message, "'a'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => services.Pool().Predict(Probes[0])).Message, "no default model");
    }

    [TestMethod]
    public void AMissingModelFileStopsThePoolWithAnErrorNamingTheFile()
    {
        var missing = Path.Combine(Folder, "missing.zip");
        using var services = Pools.Create(p => p.FromFile("m", missing, watchForChanges: false));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => services.Pool());
        StringAssert.Contains(error.Message, "'m'");
        StringAssert.Contains(error.Message, missing);
    }

    [TestMethod]
    public void AModelThatDoesNotReadTheInputClassIsRejectedAtStart()
    {
        using var services = Pools.Create(p => p.FromFile(OtherInput, watchForChanges: false));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => services.Pool());
        StringAssert.Contains(error.Message, "cannot serve ModelInput → ModelOutput");
        StringAssert.Contains(error.Message, "Pixels");
    }

    [TestMethod]
    public void InvalidOptionsAreErrorsNamingTheOption()
    {
        using var batching = Pools.Create(p => p.FromFile(FeedForwardA).WithDynamicBatching(o => o.MaximumBatchSize = 0));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => batching.Pool()).Message, "MaximumBatchSize");
        using var engines = Pools.Create(p => p.FromFile(FeedForwardA).WithMaximumEnginesRetained(0));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => engines.Pool()).Message, "MaximumEnginesRetained");
        using var none = Pools.Create(_ => { });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => none.Pool()).Message, "has no model");
        using var twice = Pools.Create(p => p.FromFile("x", FeedForwardA).FromFile("x", FeedForwardB));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => twice.Pool()).Message, "'x' was added twice");
    }

    [TestMethod]
    public async Task ConcurrentCallsFromManyThreadsGetTheSinglethreadedPredictions()
    {
        using var services = Pools.Create(p => p.FromFile(FeedForwardA).WithMaximumEnginesRetained(2));
        var pool = services.Pool();
        var expected = Expected(FeedForwardA);
        var wrong = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(thread => Task.Run(() =>
        {
            for (var call = 0; call < 300; call++)
            {
                var i = (thread * 31 + call) % Probes.Length;
                ModelOutput output;
                if (call % 3 == 0)
                {
                    var engine = pool.GetPredictionEngine();
                    output = engine.Predict(Probes[i]);
                    pool.ReturnPredictionEngine(engine);
                }
                else
                {
                    output = pool.Predict(Probes[i]);
                }
                if (!Same(expected[i], output))
                    Interlocked.Increment(ref wrong);
            }
        })));
        Assert.AreEqual(0, wrong);
    }

    [TestMethod]
    public void ReturningAnEngineThatWasNotRentedIsAnError()
    {
        using var services = Pools.Create(p => p.FromFile(FeedForwardA).FromFile("b", FeedForwardB));
        var pool = services.Pool();
        var engine = pool.GetPredictionEngine();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => pool.ReturnPredictionEngine("b", engine)).Message, "rented for model (default)");
        pool.ReturnPredictionEngine(engine);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => pool.ReturnPredictionEngine(engine)).Message, "already returned");
    }

    [TestMethod]
    public async Task AReplacedFileIsServedWithinTwoSecondsAndReported()
    {
        var path = CopyToNewFolder(FeedForwardA);
        using var services = Pools.Create(p => p.FromFile(path));
        var pool = services.Pool();
        var before = pool.GetStatus();
        ModelReloadedEventArgs? reloaded = null;
        pool.ModelReloaded += (_, e) => reloaded = e;
        var token = pool.GetReloadToken();
        Replace(path, FeedForwardB);
        var took = await Pools.Until(() => Same(Expected(FeedForwardB)[0], pool.Predict(Probes[0])), TimeSpan.FromSeconds(2));
        Assert.IsNotNull(took, "the new model did not answer within 2 s");
        await Pools.Until(() => reloaded is not null, TimeSpan.FromSeconds(1));
        var after = pool.GetStatus();
        Assert.AreEqual(1, after.Reloads);
        Assert.AreNotEqual(before.Version, after.Version);
        Assert.AreEqual(after.Version, reloaded!.Version);
        Assert.AreEqual(before.Version, reloaded.PreviousVersion);
        Assert.IsTrue(token.HasChanged);
        Assert.IsFalse(pool.GetReloadToken().HasChanged);
    }

    [TestMethod]
    public async Task ACorruptReplacementKeepsTheOldModelServingAndIsLoggedAndReported()
    {
        var path = CopyToNewFolder(FeedForwardA);
        var log = new CapturedLog();
        using var services = Pools.Create(p => p.FromFile(path), log, s => s.AddHealthChecks().AddPredictionEnginePoolCheck<ModelInput, ModelOutput>());
        var pool = services.Pool();
        var version = pool.GetStatus().Version;
        ReplaceWithBytes(path, File.ReadAllBytes(path)[..5000]);
        Assert.IsNotNull(await Pools.Until(() => pool.GetStatus().LastReloadError is not null, TimeSpan.FromSeconds(5)));
        Assert.IsTrue(Same(Expected(FeedForwardA)[0], pool.Predict(Probes[0])));
        var status = pool.GetStatus();
        Assert.AreEqual(version, status.Version);
        Assert.IsTrue(status.IsServingStaleVersion);
        StringAssert.Contains(status.LastReloadError, path);
        Assert.IsTrue(log.Entries.Any(e => e.Level == LogLevel.Error && e.Message.Contains($"version {version} keeps serving")));
        var health = await services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync();
        Assert.AreEqual(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, health.Status);
        Assert.AreEqual(version, health.Entries["models"].Data["default.version"]);
    }

    [TestMethod]
    public async Task AnIncompatibleReplacementKeepsTheOldModelServing()
    {
        var path = CopyToNewFolder(FeedForwardA);
        using var services = Pools.Create(p => p.FromFile(path));
        var pool = services.Pool();
        Replace(path, OtherInput);
        Assert.IsNotNull(await Pools.Until(() => pool.GetStatus().LastReloadError is not null, TimeSpan.FromSeconds(5)));
        StringAssert.Contains(pool.GetStatus().LastReloadError, "cannot serve ModelInput → ModelOutput");
        Assert.IsTrue(Same(Expected(FeedForwardA)[0], pool.Predict(Probes[0])));
        Replace(path, FeedForwardB);
        Assert.IsNotNull(await Pools.Until(() => Same(Expected(FeedForwardB)[0], pool.Predict(Probes[0])), TimeSpan.FromSeconds(5)), "a later good file is served");
        Assert.IsFalse(pool.GetStatus().IsServingStaleVersion);
    }

    [TestMethod]
    public async Task ARentedEngineKeepsItsModelUntilReturnedThenTheOldModelIsDisposed()
    {
        var source = new InMemoryModelSource(File.ReadAllBytes(FeedForwardA), "a");
        using var services = Pools.Create(p => p.FromSource(_ => source));
        var pool = services.Pool();
        var engine = pool.GetPredictionEngine();
        var first = source.Loaded.Single();
        await source.PublishAsync(File.ReadAllBytes(FeedForwardB), "b", pool);
        Assert.IsTrue(Same(Expected(FeedForwardB)[0], pool.Predict(Probes[0])));
        Assert.IsTrue(Same(Expected(FeedForwardA)[0], engine.Predict(Probes[0])), "the rented engine still runs the old model");
        Assert.IsFalse(first.IsDisposed);
        pool.ReturnPredictionEngine(engine);
        Assert.IsNotNull(await Pools.Until(() => first.IsDisposed, TimeSpan.FromSeconds(2)), "the old model was not disposed after its last use");
        Assert.IsFalse(source.Loaded.Last().IsDisposed);
    }

    [TestMethod]
    public async Task AnotherModelSourcePlugsInWithoutChangingThePool()
    {
        var source = new InMemoryModelSource(File.ReadAllBytes(PlainMlNet), "v1");
        using var services = Pools.Create(p => p.FromSource("memory", _ => source));
        var pool = services.Pool();
        Assert.AreEqual("v1", pool.GetStatus("memory").Version);
        Assert.AreEqual("memory store", pool.GetStatus("memory").Source);
        Assert.IsTrue(Same(Expected(PlainMlNet)[3], pool.Predict("memory", Probes[3])));
        await source.PublishAsync(File.ReadAllBytes(FeedForwardA), "v2", pool, "memory");
        Assert.AreEqual("v2", pool.GetStatus("memory").Version);
        Assert.IsTrue(Same(Expected(FeedForwardA)[3], pool.Predict("memory", Probes[3])));
        services.Dispose();
        Assert.IsTrue(source.IsDisposed, "the pool disposes its sources");
    }
}
