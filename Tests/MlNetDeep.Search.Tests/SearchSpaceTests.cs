namespace MlNetDeep.Search.Tests;

[TestClass]
public sealed class SearchSpaceTests
{
    [TestMethod]
    public void AnEmptySpaceIsRefusedWithAClearMessage()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SearchSpace().Validate());
        StringAssert.Contains(e.Message, "empty");
    }

    [TestMethod]
    public void AConditionOnValuesTheParentNeverTakesIsContradictory()
    {
        var space = new SearchSpace().Int("layers", 1, 2).Choice("width3", 8, 16).When("layers", 3);
        var e = Assert.ThrowsExactly<ArgumentException>(space.Validate);
        StringAssert.Contains(e.Message, "width3");
        StringAssert.Contains(e.Message, "contradictory");
    }

    [TestMethod]
    public void AConditionOnALaterOrUnknownParameterIsRefused()
    {
        var space = new SearchSpace().Choice("width", 8).When("layers", 1).Int("layers", 1, 2);
        var e = Assert.ThrowsExactly<ArgumentException>(space.Validate);
        StringAssert.Contains(e.Message, "'layers', which is not an earlier parameter");
    }

    [TestMethod]
    public void AnEmptyRangeNamesTheParameter()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(new SearchSpace().LogFloat("LearningRate", 0, 1e-2).Validate);
        StringAssert.Contains(e.Message, "LearningRate");
        e = Assert.ThrowsExactly<ArgumentException>(new SearchSpace().Int("layers", 3, 1).Validate);
        StringAssert.Contains(e.Message, "min 3 is greater than max 1");
    }

    [TestMethod]
    public void AParameterThatIsNoOptionIsRefused()
    {
        var space = SearchData.SmallSpace();
        space.Space.Float("LearnignRate", 0, 1);
        var e = Assert.ThrowsExactly<ArgumentException>(space.Validate);
        StringAssert.Contains(e.Message, "'LearnignRate' is neither an architecture parameter of FeedForwardSpace nor a property of FeedForwardOptions");
    }

    [TestMethod]
    public void ConditionalParametersAreActiveOnlyForTheirParentsValues()
    {
        var space = new FeedForwardSpace(maxLayers: 3);
        var random = new Random(1);
        for (var i = 0; i < 200; i++)
        {
            var point = space.Space.PointAt(space.Space.Parameters.Select(_ => random.NextDouble()).ToArray());
            var layers = point.Get<int>("layers");
            for (var w = 1; w <= 3; w++)
                Assert.AreEqual(w <= layers, point.Has($"width{w}"), $"width{w} with {layers} layers");
        }
    }

    [TestMethod]
    public void IntegersAndLogFloatsCoverTheirRanges()
    {
        var space = new SearchSpace().Int("n", 1, 4).LogFloat("lr", 1e-4, 1e-2);
        var points = Enumerable.Range(0, 400).Select(i => space.PointAt([(i + 0.5) / 400, (i + 0.5) / 400])).ToArray();
        CollectionAssert.AreEquivalent(new[] { 1, 2, 3, 4 }, points.Select(p => p.Get<int>("n")).Distinct().ToArray());
        var rates = points.Select(p => p.Get<double>("lr")).ToArray();
        Assert.IsTrue(rates.All(r => r is >= 1e-4 and < 1e-2));
        Assert.AreEqual(0.5, rates.Count(r => r < 1e-3) / 400.0, 0.01, "half the log range lies below the geometric mean");
    }

    [TestMethod]
    public void AFeedForwardPointBecomesOptionsWithItsLayersWidthsAndRate()
    {
        var space = new FeedForwardSpace(SearchData.QuickTemplate(), maxLayers: 3, widths: [8, 16, 32]);
        var point = space.Space.PointAt(Enumerable.Repeat(0.99, space.Space.Parameters.Count).ToArray());
        var options = space.OptionsAt(point, seed: 5);
        CollectionAssert.AreEqual(new[] { 32, 32, 32 }, options.HiddenLayerSizes.ToArray());
        Assert.AreEqual(point.Get<double>("LearningRate"), options.LearningRate);
        Assert.IsTrue(options.BatchNormalization);
        Assert.AreEqual(5, options.Seed);
        Assert.AreEqual(2, options.NumberOfEpochs, "the template's settings are kept");
    }

    [TestMethod]
    public void AConvolutionalPointBecomesStagesWithKernelPoolingAndHead()
    {
        var space = new ConvolutionalNetworkSpace(maxStages: 3, channels: [16, 32], searchResidual: false);
        var unit = space.Space.Parameters.Select(p => p.Name switch { "stages" => 0.5, "kernel" => 0.9, "pooling" => 0.9, _ => 0.1 }).ToArray();
        var options = space.OptionsAt(space.Space.PointAt(unit), seed: 1);
        Assert.AreEqual(2, options.Blocks.Count);
        Assert.IsTrue(options.Blocks.All(b => b.Channels == 16 && b.KernelSize == 5 && b.Pooling == PoolingKind.Average));
        CollectionAssert.AreEqual(new[] { 64 }, options.HiddenLayerSizes.ToArray());
        Assert.AreEqual(options.ToJson(), DeepTrainerOptions.FromJson<ConvolutionalNetworkOptions>(options.ToJson()).ToJson(), "the trial's options round-trip through JSON");
    }
}
