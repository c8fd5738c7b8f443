using Microsoft.ML;
using Orleans.TestingHost;

namespace MlNetDeep.Search.Orleans.Tests;

[TestClass]
public sealed class TestingHostTests
{
    private const int Trials = 8;
    private static string folder = "";
    private static string trainPath = "";

    // Workers read the data only once every silo is up: trials finished while the cluster deploys leave no victim.
    private static readonly ManualResetEventSlim ClusterDeployed = new();

    private sealed class Silo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            var ml = new MLContext();
            var template = new FeedForwardOptions
            {
                NumberOfEpochs = 6, BatchSize = 16, NumberOfThreads = 1, ValidationFraction = 0.25, LearningRateSchedule = null, EarlyStopping = null,
            };
            var search = ml.MulticlassClassification.Search(new FeedForwardSpace(template, maxLayers: 2, widths: [32, 64]),
                new DeepSearchOptions { MaxTrials = Trials, Folder = folder, Scheduler = new NoStopping(), Seed = 1 });
            silo.AddSearchPlan(new SearchPlan("blobs", search, context =>
            {
                ClusterDeployed.Wait();
                return (context.Data.LoadFromBinary(trainPath), null);
            }) { LeaseTimeout = TimeSpan.FromSeconds(3) })
                .AddSearchWorker("blobs", configure: o => o.HeartbeatPeriod = TimeSpan.FromMilliseconds(300));
        }
    }

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task ASearchSurvivesLosingASiloWithNoTrialLostOrCompletedTwice()
    {
        folder = ClusterData.TemporaryFolder();
        trainPath = ClusterData.WriteBlobs(folder, 600, seed: 1);
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<Silo>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        ClusterDeployed.Set();
        try
        {
            var coordinator = cluster.GrainFactory.GetGrain<ISearchCoordinatorGrain>("blobs");
            // The victim: a secondary silo caught in the middle of a trial.
            SiloHandle? victim = null;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            ClusterSearchStatus status;
            do
            {
                await Task.Delay(20);
                status = await coordinator.GetStatus();
                victim = cluster.SecondarySilos.FirstOrDefault(s => status.Trials.Any(t => t.State == "Running" && t.Worker?.Contains($":{s.SiloAddress.Endpoint.Port}:", StringComparison.Ordinal) == true));
            }
            while (victim is null && clock.Elapsed < TimeSpan.FromSeconds(60));
            var prefix = $"S127.0.0.1:{victim?.SiloAddress.Endpoint.Port}:";
            var lostTrial = status.Trials.SingleOrDefault(t => t.State == "Running" && t.Worker!.StartsWith(prefix, StringComparison.Ordinal))?.Number
                ?? throw new AssertFailedException($"no trial ran on {prefix} ({string.Join(",", cluster.SecondarySilos.Select(x => x.SiloAddress))}): {string.Join("; ", status.Trials.Select(t => $"{t.Number} {t.State} {t.Worker} {t.Error}"))} errors {string.Join(",", status.WorkerErrors.Values)}");
            _ = status.Trials.Single(t => t.State == "Running" && t.Worker!.StartsWith(prefix, StringComparison.Ordinal)).Number;

            await cluster.KillSiloAsync(victim!);
            var final = await cluster.GrainFactory.WaitForSearchAsync("blobs", TimeSpan.FromMilliseconds(200));

            Assert.HasCount(Trials, final.Trials);
            Assert.IsTrue(final.Trials.All(t => t.State == "Completed"), string.Join("; ", final.Trials.Select(t => $"{t.Number} {t.State} {t.Error}")));
            CollectionAssert.AreEquivalent(Enumerable.Range(0, Trials).ToArray(), final.Trials.Select(t => t.Number).ToArray());
            var rerun = final.Trials.Single(t => t.Number == lostTrial);
            Assert.IsGreaterThanOrEqualTo(2, rerun.Attempt, "the lost silo's trial was handed out again");
            Assert.IsFalse(rerun.Worker!.StartsWith(prefix, StringComparison.Ordinal));
            Assert.IsTrue(File.Exists(Path.Combine(folder, "models", $"trial-{lostTrial}.zip")));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
