using Microsoft.ML;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class LearningRateScheduleTests
{
    private const double BaseRate = 0.1;

    private static TrainingContext Context(int epochs = 10, long stepsPerEpoch = 10)
    {
        var network = nn.Linear(1, 1);
        return new TrainingContext(network, optim.SGD(network.parameters(), BaseRate), epochs, stepsPerEpoch, BaseRate,
            higherMetricIsBetter: true, hasValidation: true, CancellationToken.None);
    }

    /// <summary>The rate <paramref name="scheduler"/> (a schedule's callback for one Fit) sets for the batch at (<paramref name="epoch"/>, <paramref name="step"/>).</summary>
    private static double RateAt(TrainingCallback scheduler, TrainingContext context, int epoch, long step)
    {
        context.Epoch = epoch;
        context.Step = step;
        scheduler.OnBatchBegin(context);
        return context.LearningRate;
    }

    private static double RateAt(LearningRateSchedule schedule, TrainingContext context, int epoch, long step) =>
        RateAt(schedule.CreateScheduler(), context, epoch, step);

    [TestMethod]
    public void StepScheduleDecaysEveryStepEpochs()
    {
        var schedule = new StepSchedule { StepEpochs = 3, Gamma = 0.5 };
        var context = Context();

        var rates = Enumerable.Range(1, 7).Select(epoch => RateAt(schedule, context, epoch, (epoch - 1) * 10)).ToArray();

        CollectionAssert.AreEqual(new[] { 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025 }, rates);
    }

    [TestMethod]
    public void CosineScheduleFallsFromBaseToMinimumAlongACosine()
    {
        var schedule = new CosineSchedule { MinimumLearningRate = 0.01 };
        var context = Context(epochs: 10, stepsPerEpoch: 10);

        Assert.AreEqual(BaseRate, RateAt(schedule, context, 1, 0), 1e-12);
        Assert.AreEqual(0.01 + 0.09 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), RateAt(schedule, context, 3, 25), 1e-12);
        Assert.AreEqual(0.055, RateAt(schedule, context, 6, 50), 1e-12);
        Assert.AreEqual(0.01, RateAt(schedule, context, 10, 100), 1e-12);
    }

    [TestMethod]
    public void CosineWarmupRisesLinearly()
    {
        var schedule = new CosineSchedule { WarmupEpochs = 2 };
        var context = Context(epochs: 10, stepsPerEpoch: 10);

        Assert.AreEqual(BaseRate * 1 / 20, RateAt(schedule, context, 1, 0), 1e-12);
        Assert.AreEqual(BaseRate * 10 / 20, RateAt(schedule, context, 1, 9), 1e-12);
        Assert.AreEqual(BaseRate, RateAt(schedule, context, 3, 20), 1e-12);
    }

    [TestMethod]
    public void OneCycleRisesToThePeakThenAnnealsFarBelowTheStart()
    {
        var schedule = new OneCycleSchedule { WarmupFraction = 0.3, DivFactor = 25, FinalDivFactor = 1e4 };
        var context = Context(epochs: 10, stepsPerEpoch: 10);
        var rates = Enumerable.Range(0, 100).Select(step => RateAt(schedule, context, step / 10 + 1, step)).ToArray();

        Assert.AreEqual(BaseRate / 25, rates[0], 1e-12);
        var peak = Array.IndexOf(rates, rates.Max());
        Assert.AreEqual(30, peak, 1.0, "the peak comes after 30% of the steps");
        Assert.AreEqual(BaseRate, rates.Max(), 1e-4);
        Assert.AreEqual(BaseRate / 25 / 1e4, rates[^1], 1e-12);
        for (var i = 1; i <= peak; i++)
            Assert.IsGreaterThanOrEqualTo(rates[i - 1], rates[i]);
        for (var i = peak + 1; i < rates.Length; i++)
            Assert.IsLessThanOrEqualTo(rates[i - 1], rates[i]);
    }

    [TestMethod]
    public void ReduceOnPlateauHalvesAfterPatienceEpochsWithoutImprovement()
    {
        var scheduler = new ReduceOnPlateauSchedule { Factor = 0.5, Patience = 2 }.CreateScheduler();
        var context = Context();
        scheduler.OnTrainingBegin(context);
        var losses = new[] { 1.0, 0.9, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85 };
        var rates = new List<double>();
        for (var epoch = 1; epoch <= losses.Length; epoch++)
        {
            rates.Add(RateAt(scheduler, context, epoch, 0));
            scheduler.OnEpochEnd(context, Record(epoch, losses[epoch - 1]));
        }

        CollectionAssert.AreEqual(new[] { 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025 }, rates);
    }

    [TestMethod]
    public void TheEngineAppliesTheScheduleToTheOptimizer()
    {
        var ml = new MLContext(seed: 1);
        var options = new FeedForwardOptions
        {
            NumberOfEpochs = 5,
            Seed = 1,
            EarlyStopping = null,
            LearningRateSchedule = new StepSchedule { StepEpochs = 2, Gamma = 0.1 },
            LearningRate = 0.01,
        };

        var history = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(TestData.KeyedBlobs(ml, 300, 2)).History;

        CollectionAssert.AreEqual(new[] { 0.01, 0.01, 0.001, 0.001, 0.0001 }, history.Select(r => Math.Round(r.LearningRate, 10)).ToArray());
    }

    private static EpochRecord Record(int epoch, double validationLoss) => new()
    {
        Epoch = epoch,
        TrainLoss = validationLoss,
        ValidationLoss = validationLoss,
        ValidationMetric = 0,
        MetricName = "accuracy",
        LearningRate = 0,
        Seconds = 0,
        DataSeconds = 0,
    };
}
