using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

/// <summary>The rule that adapts training to a table's size: an epoch is at least <see cref="DeepTrainerOptions.MinimumStepsPerEpoch"/> optimizer steps.</summary>
[TestClass]
public sealed class SmallDataRuleTests
{
    private static FeedForwardOptions OneEpoch(int? minimumStepsPerEpoch = null)
    {
        var options = new FeedForwardOptions { NumberOfEpochs = 1, Seed = 3, HiddenLayerSizes = [8], ValidationFraction = 0, EarlyStopping = null };
        if (minimumStepsPerEpoch is { } steps)
            options.MinimumStepsPerEpoch = steps;
        return options;
    }

    private static (long Steps, int Passes) TrainOneEpoch(int rows, FeedForwardOptions options)
    {
        var ml = new MLContext(seed: 1);
        var counter = new StepCounter();
        ml.Regression.Trainers.FeedForward(options).WithCallbacks(counter).Fit(ml.Data.LoadFromEnumerable(TestData.Smooth(rows, seed: 4)));
        return (counter.Steps, counter.Passes);
    }

    [TestMethod]
    public void AnEpochOfASmallTableMakesPassesUntilItHasMinimumStepsPerEpochBatches()
    {
        // 100 rows in batches of 64 are 2 batches a pass: 25 passes make the default 50 steps.
        var (steps, passes) = TrainOneEpoch(100, OneEpoch());

        Assert.AreEqual(25, passes);
        Assert.AreEqual(50, steps);
    }

    [TestMethod]
    public void APassOfAtLeastMinimumStepsPerEpochBatchesIsOneEpoch()
    {
        var options = OneEpoch();
        options.BatchSize = 4;

        var (steps, passes) = TrainOneEpoch(200, options);

        Assert.AreEqual(1, passes);
        Assert.AreEqual(50, steps);
    }

    [TestMethod]
    public void MinimumStepsPerEpochOfOneMakesEveryEpochOnePass()
    {
        var (steps, passes) = TrainOneEpoch(100, OneEpoch(minimumStepsPerEpoch: 1));

        Assert.AreEqual(1, passes);
        Assert.AreEqual(2, steps);
    }

    [TestMethod]
    public void MinimumStepsPerEpochBelowOneIsRejectedByName()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OneEpoch(minimumStepsPerEpoch: 0).Validate());

        StringAssert.Contains(error.Message, "MinimumStepsPerEpoch");
    }

    private sealed class StepCounter : TrainingCallback
    {
        public long Steps { get; private set; }

        public int Passes { get; private set; }

        public override void OnEpochEnd(TrainingContext context, EpochRecord record) => (Steps, Passes) = (context.Step, context.PassesPerEpoch);
    }
}

/// <summary>Regression networks of the option-built architectures end in the labels' mean and standard deviation.</summary>
[TestClass]
public sealed class RegressionScaleTests
{
    [TestMethod]
    public void FeedForwardRegressionScoresAreOnTheLabelsScaleAfterTwoSteps()
    {
        var ml = new MLContext(seed: 1);
        var rows = TestData.Smooth(100, seed: 4).Select(r => new RegressionExample { Label = 5000 + 300 * r.Label, Features = r.Features }).ToArray();
        var options = new FeedForwardOptions { NumberOfEpochs = 1, MinimumStepsPerEpoch = 1, ValidationFraction = 0, EarlyStopping = null, Seed = 3 };
        var data = ml.Data.LoadFromEnumerable(rows);

        using var model = ml.Regression.Trainers.FeedForward(options).Fit(data);
        var scores = model.Transform(data).GetColumn<float>("Score").ToArray();

        var labelMean = rows.Average(r => r.Label);
        var labelDeviation = Math.Sqrt(rows.Average(r => (r.Label - labelMean) * (r.Label - labelMean)));
        Assert.AreEqual(labelMean, scores.Average(), labelDeviation / 2, "the mean score is the labels' mean within half a standard deviation");
        Assert.IsGreaterThan(labelDeviation / 10, Math.Sqrt(scores.Average(s => (s - scores.Average()) * (s - scores.Average()))), "scores spread on the labels' scale");
    }
}
