using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.ML;

namespace MlNetDeep.Search.Tests;

[TestClass]
public sealed class DeepSearchTests
{
    private readonly MLContext ml = new(seed: 1);

    [TestMethod]
    public void ASearchReturnsTheBestTrialsModelAndATableWithEveryEpoch()
    {
        var train = SearchData.Blobs(ml, 240, seed: 1);
        var result = ml.MulticlassClassification.Search(SearchData.SmallSpace(), new DeepSearchOptions { MaxTrials = 4, Scheduler = new NoStopping() }).Run(train);

        Assert.HasCount(4, result.Trials);
        Assert.IsTrue(result.Trials.All(t => t.State == TrialState.Completed && t.Epochs.Count == 2 && t.Seconds > 0));
        Assert.AreEqual(result.Trials.Max(t => t.Score), result.BestTrial!.Score);
        var accuracy = ml.MulticlassClassification.Evaluate(result.BestModel!.Transform(train)).MacroAccuracy;
        Assert.IsGreaterThan(0.5, accuracy, "the best model is a fitted model");
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameTrialTableOnOneWorker()
    {
        var train = SearchData.Blobs(ml, 180, seed: 2);
        DeepSearchResult Search() => ml.MulticlassClassification
            .Search(SearchData.SmallSpace(), new DeepSearchOptions { MaxTrials = 3, Seed = 9, Sampler = new HaltonSampler(), Metric = SearchMetric.ValidationLoss })
            .Run(train);
        var first = Search().Trials;
        var second = Search().Trials;
        CollectionAssert.AreEqual(first.Select(t => t.OptionsJson).ToArray(), second.Select(t => t.OptionsJson).ToArray());
        CollectionAssert.AreEqual(first.SelectMany(t => t.Epochs.Select(e => e.Value)).ToArray(), second.SelectMany(t => t.Epochs.Select(e => e.Value)).ToArray());
    }

    [TestMethod]
    public void AshaStopsTrialsFromTheEpochCallbacks()
    {
        var train = SearchData.Blobs(ml, 180, seed: 3);
        var options = new DeepSearchOptions
        {
            MaxTrials = 6, Metric = SearchMetric.ValidationLoss, Scheduler = new AshaScheduler { MinEpochs = 1, ReductionFactor = 3 },
        };
        var result = ml.MulticlassClassification.Search(SearchData.SmallSpace(epochs: 3), options).Run(train);

        var stopped = result.Trials.Where(t => t.State == TrialState.Stopped).ToArray();
        Assert.IsNotEmpty(stopped);
        Assert.IsTrue(stopped.All(t => t.Epochs.Count < 3 && t.StopReason!.StartsWith("ASHA", StringComparison.Ordinal)));
        Assert.IsTrue(result.Trials.Any(t => t.State == TrialState.Completed && t.Epochs.Count == 3));
    }

    [TestMethod]
    public void TheEpochBudgetLimitsTheTotalEpochs()
    {
        var train = SearchData.Blobs(ml, 120, seed: 4);
        var result = ml.MulticlassClassification.Search(SearchData.SmallSpace(epochs: 2),
            new DeepSearchOptions { MaxTrials = null, MaxEpochs = 5, Scheduler = new NoStopping() }).Run(train);
        Assert.AreEqual(5, result.Trials.Sum(t => t.Epochs.Count));
        Assert.HasCount(3, result.Trials);
        Assert.AreEqual(TrialState.Stopped, result.Trials[^1].State);
    }

    [TestMethod]
    public void ATrialThatThrowsIsRecordedAsFailedAndTheSearchGoesOn()
    {
        var train = SearchData.Blobs(ml, 120, seed: 5);
        var space = SearchData.SmallSpace();
        space.Space.Choice(nameof(DeepTrainerOptions.BatchSize), 7, 32);
        var search = ml.MulticlassClassification.Search(space,
            o => o.BatchSize == 7 ? throw new InvalidOperationException("batch size 7 is unlucky") : ml.MulticlassClassification.Trainers.FeedForward(o),
            new DeepSearchOptions { MaxTrials = 6, Scheduler = new NoStopping(), Seed = 3 });
        var observed = new ConcurrentBag<(int Number, TrialState State, bool HasModel)>();
        var result = search.WithTrialObservers(new RecordingObserver(observed)).Run(train);

        var failed = result.Trials.Where(t => t.State == TrialState.Failed).ToArray();
        Assert.IsNotEmpty(failed);
        Assert.IsTrue(failed.All(t => t.Error!.Contains("batch size 7 is unlucky", StringComparison.Ordinal)));
        Assert.IsTrue(result.Trials.Any(t => t.State == TrialState.Completed));
        Assert.HasCount(6, observed, "the observer sees every finished trial");
        Assert.IsTrue(observed.All(o => o.HasModel == (o.State != TrialState.Failed)));
    }

    [TestMethod]
    public void AMetricTheTaskDoesNotProduceStopsTheSearchWithAClearError()
    {
        var train = SearchData.Regression(ml, 80, seed: 1);
        var search = ml.Regression.Search(new FeedForwardSpace(SearchData.QuickTemplate(1), maxLayers: 1, widths: [8]),
            new DeepSearchOptions { MaxTrials = 3, Metric = SearchMetric.Accuracy });
        var e = Assert.ThrowsExactly<SearchConfigurationException>(() => search.Run(train));
        StringAssert.Contains(e.Message, "the trainer's task reports rmse");
    }

    [TestMethod]
    public void AZeroBudgetIsRefusedBeforeAnyTraining()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.MulticlassClassification.Search(SearchData.SmallSpace(), new DeepSearchOptions { MaxTrials = 0 }).Run(SearchData.Blobs(ml, 30, 1)));
        StringAssert.Contains(e.Message, "MaxTrials");
    }

    [TestMethod]
    public void ASearchResumesFromItsTrialTableAndRerunsTheTrialThatWasRunning()
    {
        var folder = SearchData.TemporaryFolder();
        try
        {
            var train = SearchData.Blobs(ml, 120, seed: 6);
            DeepSearchOptions Options(int trials) => new() { MaxTrials = trials, Folder = folder, Seed = 4, Scheduler = new NoStopping() };
            var first = ml.MulticlassClassification.Search(SearchData.SmallSpace(), Options(3)).Run(train);
            Assert.IsTrue(File.Exists(Path.Combine(folder, "trials.json")) && File.Exists(Path.Combine(folder, SearchDefinition.BestModelFileName)));

            // As if the process had died during trial 2: the table says it is running.
            var table = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "trials.json")))!;
            table["Trials"]![2]!["State"] = "Running";
            File.WriteAllText(Path.Combine(folder, "trials.json"), table.ToJsonString());

            var resumed = ml.MulticlassClassification.Search(SearchData.SmallSpace(), Options(4)).Run(train);

            Assert.HasCount(4, resumed.Trials);
            Assert.IsTrue(resumed.Trials.All(t => t.State == TrialState.Completed));
            Assert.AreEqual(first.Trials[0].StartedUtc, resumed.Trials[0].StartedUtc, "finished trials are not run again");
            Assert.AreEqual(2, resumed.Trials[2].Attempt, "the trial that was running is run again");
            Assert.AreEqual(first.Trials[2].OptionsJson, resumed.Trials[2].OptionsJson);
            Assert.IsNotNull(resumed.BestModel);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ATrialTableOfAnotherSearchIsNotResumed()
    {
        var folder = SearchData.TemporaryFolder();
        try
        {
            var train = SearchData.Blobs(ml, 60, seed: 7);
            ml.MulticlassClassification.Search(SearchData.SmallSpace(1), new DeepSearchOptions { MaxTrials = 1, Folder = folder }).Run(train);
            var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
                ml.MulticlassClassification.Search(SearchData.SmallSpace(1), new DeepSearchOptions { MaxTrials = 1, Folder = folder, Seed = 2 }).Run(train));
            StringAssert.Contains(e.Message, "belongs to another search");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TwoTrialsRunAtOnceWithParallelismTwo()
    {
        var train = SearchData.Blobs(ml, 120, seed: 8);
        var running = 0;
        var most = 0;
        var progress = new SynchronousProgress(p =>
        {
            var now = p.RunningTrials;
            Interlocked.Exchange(ref running, now);
            if (now > Volatile.Read(ref most))
                Interlocked.Exchange(ref most, now);
        });
        var result = ml.MulticlassClassification.Search(SearchData.SmallSpace(3), new DeepSearchOptions { MaxTrials = 4, Parallelism = 2, Scheduler = new NoStopping() })
            .WithProgress(progress).Run(train);
        Assert.HasCount(4, result.Trials);
        Assert.AreEqual(2, most);
    }

    private sealed class RecordingObserver(ConcurrentBag<(int, TrialState, bool)> seen) : ITrialObserver
    {
        public void OnTrialFinished(TrialRecord trial, ITransformer? model, DataViewSchema inputSchema) => seen.Add((trial.Number, trial.State, model is not null));
    }

    private sealed class SynchronousProgress(Action<SearchProgress> report) : IProgress<SearchProgress>
    {
        public void Report(SearchProgress value) => report(value);
    }
}
