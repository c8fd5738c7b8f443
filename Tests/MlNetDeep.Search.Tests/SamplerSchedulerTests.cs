namespace MlNetDeep.Search.Tests;

[TestClass]
public sealed class SamplerSchedulerTests
{
    private static readonly SearchSpace OneDimension = new SearchSpace().Float("x", 0, 1);

    [TestMethod]
    public void SamplersAreReproducibleForASeedAndDifferBetweenSeeds()
    {
        foreach (SearchSampler sampler in new SearchSampler[] { new RandomSampler(), new HaltonSampler() })
        {
            var space = new FeedForwardSpace().Space;
            CollectionAssert.AreEqual(sampler.Next(space, 3, 4, [], true), sampler.Next(space, 3, 4, [], true), sampler.Name);
            CollectionAssert.AreNotEqual(sampler.Next(space, 3, 4, [], true), sampler.Next(space, 4, 4, [], true), sampler.Name);
        }
    }

    [TestMethod]
    public void HaltonPointsFillTheIntervalMoreEvenlyThanRandomOnes()
    {
        int EmptyBins(SearchSampler sampler) => 16 - Enumerable.Range(0, 16)
            .Select(i => (int)(sampler.Next(OneDimension, 11, i, [], true)[0] * 16)).Distinct().Count();
        Assert.IsLessThanOrEqualTo(1, EmptyBins(new HaltonSampler()));
        Assert.IsGreaterThan(EmptyBins(new HaltonSampler()), EmptyBins(new RandomSampler()));
    }

    [TestMethod]
    public void TpeProposesPointsNearTheBestTrials()
    {
        var finished = Enumerable.Range(0, 30).Select(i => Trial(i, (i + 0.5) / 30, -Math.Abs((i + 0.5) / 30 - 0.2))).ToArray();
        var tpe = new TpeSampler();
        var proposals = Enumerable.Range(30, 40).Select(n => tpe.Next(OneDimension, 1, n, finished, maximize: true)[0]).ToArray();
        var randomProposals = Enumerable.Range(30, 40).Select(n => new RandomSampler().Next(OneDimension, 1, n, finished, true)[0]).ToArray();
        Assert.IsLessThan(0.1, proposals.Average(x => Math.Abs(x - 0.2)));
        Assert.IsLessThan(randomProposals.Average(x => Math.Abs(x - 0.2)), proposals.Average(x => Math.Abs(x - 0.2)));
    }

    [TestMethod]
    public void AshaStopsATrialOutsideTheTopThirdOfItsRung()
    {
        var asha = new AshaScheduler { MinEpochs = 1, ReductionFactor = 3 };
        var others = new[] { Trial(0, 0.5, 0.9, 0.9), Trial(1, 0.5, 0.8, 0.85), Trial(2, 0.5, 0.7, 0.72) };
        var weak = Trial(3, 0.5, 0.6);
        var strong = Trial(4, 0.5, 0.95);
        Assert.IsNotNull(asha.ShouldStop(weak, [.. others, weak], maximize: true));
        Assert.IsNull(asha.ShouldStop(strong, [.. others, strong], maximize: true));
        Assert.IsNull(asha.ShouldStop(Trial(5, 0.5, 0.6, 0.6), [.. others], maximize: true), "epoch 2 is no rung for η = 3");
    }

    [TestMethod]
    public void TheFirstTrialAtARungIsNeverStopped() =>
        Assert.IsNull(new AshaScheduler().ShouldStop(Trial(0, 0.5, 0.1), [Trial(0, 0.5, 0.1)], maximize: true));

    [TestMethod]
    public void HyperbandJudgesATrialOnlyAgainstItsOwnBracketAtThatBracketsRungs()
    {
        var hyperband = new HyperbandScheduler { MinEpochs = 1, ReductionFactor = 3, Brackets = 2 };
        // Bracket 0 (even numbers) judges at epochs 1, 3, 9; bracket 1 (odd numbers) at 3 and 9.
        var bracket0 = new[] { Trial(0, 0.5, 0.9), Trial(2, 0.5, 0.85), Trial(4, 0.5, 0.8) };
        var bracket1 = new[] { Trial(1, 0.5, 0.1, 0.1, 0.1), Trial(3, 0.5, 0.2, 0.2, 0.2), Trial(5, 0.5, 0.3, 0.3, 0.3) };
        TrialRecord[] all = [.. bracket0, .. bracket1];
        Assert.IsNotNull(hyperband.ShouldStop(Trial(6, 0.5, 0.5), [.. all], maximize: true), "weak in bracket 0 at its first rung");
        Assert.IsNull(hyperband.ShouldStop(Trial(7, 0.5, 0.5), [.. all], maximize: true), "epoch 1 is no rung of bracket 1");
        Assert.IsNull(hyperband.ShouldStop(Trial(7, 0.5, 0.5, 0.5, 0.5), [.. all], maximize: true), "best of bracket 1, though below bracket 0");
        StringAssert.Contains(hyperband.ShouldStop(Trial(9, 0.5, 0.05, 0.05, 0.05), [.. all], maximize: true), "Hyperband bracket 1");
        Assert.ThrowsExactly<ArgumentException>(() => new HyperbandScheduler { Brackets = 0 }.Validate());
    }

    [TestMethod]
    public void MedianStoppingStopsATrialBelowTheOthersMedianRunningMean()
    {
        var rule = new MedianStoppingRule { GraceEpochs = 1, MinTrials = 3 };
        var others = new[] { Trial(0, 0.5, 0.7, 0.8), Trial(1, 0.5, 0.6, 0.7), Trial(2, 0.5, 0.5, 0.6) };
        Assert.IsNotNull(rule.ShouldStop(Trial(3, 0.5, 0.4, 0.5), others, maximize: true));
        Assert.IsNull(rule.ShouldStop(Trial(4, 0.5, 0.7, 0.75), others, maximize: true));
        Assert.IsNull(rule.ShouldStop(Trial(5, 0.5, 0.1), others, maximize: true), "within the grace epochs");
    }

    private static TrialRecord Trial(int number, double unit, params double[] values) => new()
    {
        Number = number, Seed = number, Unit = [unit], OptionsJson = "", MaxEpochs = 10, Parameters = new Dictionary<string, object> { ["x"] = unit },
        State = TrialState.Completed, Score = values.Length == 0 ? null : values.Max(),
        Epochs = values.Select((v, i) => new TrialEpoch { Epoch = i + 1, Value = v, TrainLoss = 0, Seconds = 0 }).ToList(),
    };
}
