using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class TrainingEngineTests
{
    private static IDataView Blobs(MLContext ml, int count = 600, int seed = 2) => TestData.KeyedBlobs(ml, count, seed);

    private static FeedForwardOptions Plain(int epochs) => new()
    {
        NumberOfEpochs = epochs,
        MinimumStepsPerEpoch = 1,
        Seed = 11,
        HiddenLayerSizes = [32, 16],
        EarlyStopping = null,
        LearningRateSchedule = null,
    };

    [TestMethod]
    public void EarlyStoppingStopsAfterPatienceAndRestoresTheBestEpoch()
    {
        var ml = new MLContext(seed: 1);
        // Random labels: validation loss can only get worse once the network starts memorizing.
        var random = new Random(5);
        var noise = TestData.Blobs(400, seed: 2).Select(e => new ClassExample { Label = ((char)('a' + random.Next(3))).ToString(), Features = e.Features });
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(TestData.Blobs(3, 1))).Transform(ml.Data.LoadFromEnumerable(noise));
        var recorder = new WeightRecorder();
        var options = Plain(200);
        options.HiddenLayerSizes = [128, 128];
        options.DropoutRate = 0;
        options.LearningRate = 3e-3;
        options.ValidationFraction = 0.25;
        options.EarlyStopping = new EarlyStoppingOptions { Monitor = MonitoredMetric.ValidationLoss, Patience = 3 };

        var model = ml.MulticlassClassification.Trainers.FeedForward(options).WithCallbacks(recorder).Fit(data);

        var history = model.History;
        var best = history.MinBy(r => r.ValidationLoss)!;
        Assert.IsLessThan(200, history.Count, "training stopped early");
        Assert.AreEqual(best.Epoch + 3, history.Count, "it stopped once the loss had not improved for Patience epochs");
        Assert.AreNotEqual(history.Count, best.Epoch);
        AssertSameWeights(recorder.Epochs[best.Epoch - 1], model.Network.Weights);
    }

    [TestMethod]
    public void ATiedValidationMetricWithALowerLossCountsAsProgress()
    {
        using var network = nn.Linear(1, 1);
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        var context = new TrainingContext(network, optimizer, 20, 1, 0.1, higherMetricIsBetter: true, hasValidation: true, CancellationToken.None);
        var stopping = new Engine.EarlyStopping(new EarlyStoppingOptions { Patience = 2, RestoreBestWeights = false });
        stopping.OnTrainingBegin(context);
        var epochs = new[] { (0.8, 1.0), (0.8, 0.9), (0.8, 0.8), (0.8, 0.85), (0.8, 0.9) };
        var stoppedAfter = new List<bool>();
        foreach (var (accuracy, loss) in epochs)
        {
            context.Epoch++;
            stopping.OnEpochEnd(context, new EpochRecord
            {
                Epoch = context.Epoch, TrainLoss = loss, ValidationLoss = loss, ValidationMetric = accuracy,
                MetricName = "accuracy", LearningRate = 0.1, Seconds = 0, DataSeconds = 0,
            });
            stoppedAfter.Add(context.StopRequested);
        }

        CollectionAssert.AreEqual(new[] { false, false, false, false, true }, stoppedAfter, "epochs 2 and 3 improved the loss at equal accuracy");
    }

    [TestMethod]
    public void WeightDecayShrinksTheWeights()
    {
        var ml = new MLContext(seed: 1);
        var data = Blobs(ml);
        double Norm(OptimizerKind optimizer, double learningRate, double decay)
        {
            var options = Plain(20);
            options.Optimizer = optimizer;
            options.LearningRate = learningRate;
            options.WeightDecay = decay;
            var network = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data).Network;
            return network.Weights.Where(w => w.Key.EndsWith(".weight") && w.Value.Shape.Length == 2).Sum(w => w.Value.Values.Sum(v => (double)v * v));
        }

        Assert.IsLessThan(0.7 * Norm(OptimizerKind.Sgd, 0.05, 0), Norm(OptimizerKind.Sgd, 0.05, 0.05), "L2 through SGD");
        Assert.IsLessThan(0.7 * Norm(OptimizerKind.Adam, 0.01, 0), Norm(OptimizerKind.Adam, 0.01, 0.05), "L2 through Adam");
        Assert.IsLessThan(0.7 * Norm(OptimizerKind.AdamW, 0.01, 0), Norm(OptimizerKind.AdamW, 0.01, 1.0), "decoupled decay in AdamW");
    }

    [TestMethod]
    public void SameSeedGivesTheSameRunAndAnotherSeedDoesNot()
    {
        DeepPredictionTransformer Run(int seed)
        {
            var ml = new MLContext(seed: 1);
            var options = Plain(4);
            options.Seed = seed;
            options.ValidationFraction = 0.2;
            return ml.MulticlassClassification.Trainers.FeedForward(options).Fit(Blobs(ml));
        }

        var first = Run(3);
        var second = Run(3);
        var other = Run(4);

        CollectionAssert.AreEqual(first.History.Select(r => (r.TrainLoss, r.ValidationLoss, r.ValidationMetric)).ToArray(),
            second.History.Select(r => (r.TrainLoss, r.ValidationLoss, r.ValidationMetric)).ToArray());
        AssertSameWeights(first.Network.Weights, second.Network.Weights);
        Assert.AreNotEqual(first.History[^1].TrainLoss, other.History[^1].TrainLoss);
    }

    [TestMethod]
    public void TheSeedComesFromTheMlContextByDefault()
    {
        double FinalLoss(int contextSeed)
        {
            var ml = new MLContext(seed: contextSeed);
            var options = Plain(3);
            options.Seed = null;
            return ml.MulticlassClassification.Trainers.FeedForward(options).Fit(Blobs(ml)).History[^1].TrainLoss;
        }

        Assert.AreEqual(FinalLoss(21), FinalLoss(21));
        Assert.AreNotEqual(FinalLoss(21), FinalLoss(22));
    }

    [TestMethod]
    public void AResumedRunEndsWhereAnUninterruptedRunEnds()
    {
        var ml = new MLContext(seed: 1);
        var data = Blobs(ml);
        FeedForwardOptions Options(string folder)
        {
            var options = Plain(6);
            options.ValidationFraction = 0.2;
            options.DropoutRate = 0.3;
            options.EarlyStopping = new EarlyStoppingOptions { Patience = 10 };
            options.LearningRateSchedule = new ReduceOnPlateauSchedule { Patience = 0, Factor = 0.5 };
            options.WeightAveragingDecay = 0.8;
            options.CheckpointFolder = folder;
            options.ResumeFromCheckpoint = true;
            return options;
        }
        using var uninterruptedFolder = new TemporaryFolder();
        using var interruptedFolder = new TemporaryFolder();

        var uninterrupted = ml.MulticlassClassification.Trainers.FeedForward(Options(uninterruptedFolder.Path)).Fit(data);

        using var cancellation = new CancellationTokenSource();
        var interrupted = ml.MulticlassClassification.Trainers.FeedForward(Options(interruptedFolder.Path))
            .WithCancellation(cancellation.Token).WithCallbacks(new CancelAfterEpoch(3, cancellation));
        Assert.ThrowsExactly<OperationCanceledException>(() => interrupted.Fit(data));
        var resumedProgress = new ProgressLog();
        var resumed = ml.MulticlassClassification.Trainers.FeedForward(Options(interruptedFolder.Path)).WithProgress(resumedProgress).Fit(data);

        CollectionAssert.AreEqual(new[] { 4, 5, 6 }, resumedProgress.Records.Select(r => r.Epoch).ToArray(), "the resumed Fit ran only the epochs left");
        CollectionAssert.AreEqual(uninterrupted.History.Select(r => (r.TrainLoss, r.ValidationLoss, r.LearningRate)).ToArray(),
            resumed.History.Select(r => (r.TrainLoss, r.ValidationLoss, r.LearningRate)).ToArray());
        AssertSameWeights(uninterrupted.Network.Weights, resumed.Network.Weights);
    }

    [TestMethod]
    public void WeightAveragingReturnsTheMovingAverageOfEveryStep()
    {
        var ml = new MLContext(seed: 1);
        var steps = new StepRecorder();
        var options = Plain(3);
        options.DropoutRate = 0;
        options.WeightAveragingDecay = 0.9;

        var trained = ml.MulticlassClassification.Trainers.FeedForward(options).WithCallbacks(steps).Fit(Blobs(ml, 300)).Network.Weights;

        var expected = steps.Initial!.ToDictionary(w => w.Key, w => w.Value.Values.Select(v => (double)v).ToArray());
        for (var n = 0; n < steps.AfterEachStep.Count; n++)
        {
            var rate = 1 - Math.Min(0.9, (1.0 + n) / (10.0 + n));
            foreach (var (name, values) in expected)
                for (var i = 0; i < values.Length; i++)
                    values[i] += rate * (steps.AfterEachStep[n][name].Values[i] - values[i]);
        }
        Assert.HasCount(3 * 5, steps.AfterEachStep);
        foreach (var (name, values) in expected)
            CollectionAssert.AreEqual(values.Select(v => (float)v).ToArray(), trained[name].Values, new Tolerance(1e-5f), name);
        Assert.IsFalse(trained["1.weight"].Values.SequenceEqual(steps.AfterEachStep[^1]["1.weight"].Values), "the model is the average, not the last step");
    }

    [TestMethod]
    public void ADivergingRunStopsWithAClearMessage()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Smooth(300, seed: 2).Select(e => new RegressionExample { Label = e.Label * 1e6f, Features = e.Features }));
        var options = Plain(20);
        options.Optimizer = OptimizerKind.Sgd;
        options.LearningRate = 10;

        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => ml.Regression.Trainers.FeedForward(options).Fit(data));

        StringAssert.Contains(error.Message, "diverged");
        StringAssert.Contains(error.Message, "epoch 1");
        StringAssert.Contains(error.Message, "LearningRate");
    }

    [TestMethod]
    public void GradientClippingBoundsEachStep()
    {
        var ml = new MLContext(seed: 1);
        var data = Blobs(ml);
        var recorder = new WeightRecorder();
        var options = Plain(1);
        options.Optimizer = OptimizerKind.Sgd;
        options.Momentum = 0;
        options.LearningRate = 0.1;
        options.GradientClipNorm = 1e-3;
        options.NormalizeFeatures = false;

        var trained = ml.MulticlassClassification.Trainers.FeedForward(options).WithCallbacks(new InitialWeights(recorder.Epochs)).Fit(data).Network.Weights;

        // Each SGD step moves the weights by at most lr · clip norm.
        var steps = Math.Ceiling(540 / 64.0);
        var moved = Math.Sqrt(trained.Sum(w => w.Value.Values.Zip(recorder.Epochs[0][w.Key].Values, (a, b) => (double)(a - b) * (a - b)).Sum()));
        Assert.IsLessThanOrEqualTo(0.1 * 1e-3 * steps * 1.0001, moved);
        Assert.IsGreaterThan(0, moved);
    }

    [TestMethod]
    public void ClassWeightsSteerTheModel()
    {
        var ml = new MLContext(seed: 1);
        var data = Blobs(ml);
        var options = Plain(10);
        options.ClassWeights = [0, 1, 1];

        var scored = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data).Transform(data);

        var predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        Assert.IsLessThan(0.05, predicted.Count(p => p == 1) / (double)predicted.Length, "a class with weight 0 is (almost) never predicted");
    }

    [TestMethod]
    public void LabelSmoothingKeepsTheModelFromCertainty()
    {
        var ml = new MLContext(seed: 1);
        var data = Blobs(ml);
        double MeanTopProbability(double smoothing)
        {
            var options = Plain(40);
            options.LabelSmoothing = smoothing;
            var scores = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data).Transform(data).GetColumn<float[]>("Score");
            return scores.Average(s => s.Max());
        }

        Assert.IsGreaterThan(0.98, MeanTopProbability(0));
        var smoothed = MeanTopProbability(0.3);
        Assert.IsLessThan(1 - 0.3 + 0.3 / 3 + 0.02, smoothed, "the loss is lowest at 1 − ε + ε/K = 0.8");
        Assert.IsGreaterThan(0.7, smoothed);
        var regression = Plain(1);
        regression.LabelSmoothing = 0.1;
        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.Regression.Trainers.FeedForward(regression).Fit(ml.Data.LoadFromEnumerable(TestData.Smooth(30, 2))));
        StringAssert.Contains(error.Message, "LabelSmoothing applies to classification");
    }

    [TestMethod]
    public void ProgressReportsEveryEpochWithItsNumbers()
    {
        var ml = new MLContext(seed: 1);
        var progress = new ProgressLog();
        var options = Plain(3);
        options.ValidationFraction = 0.2;

        var model = ml.MulticlassClassification.Trainers.FeedForward(options).WithProgress(progress).Fit(Blobs(ml));

        CollectionAssert.AreEqual(model.History.ToArray(), progress.Records);
        foreach (var record in progress.Records)
        {
            Assert.IsNotNull(record.ValidationLoss);
            Assert.AreEqual("accuracy", record.MetricName);
            Assert.IsTrue(record.ValidationMetric is >= 0 and <= 1);
            Assert.AreEqual(1e-3, record.LearningRate, 1e-12);
            Assert.IsGreaterThan(0, record.Seconds);
        }
    }

    [TestMethod]
    public void CancellationBeforeTheFirstBatchStopsFit()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.MulticlassClassification.Trainers.FeedForward(Plain(3)).WithCancellation(new CancellationToken(canceled: true));

        Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(Blobs(ml)));
    }

    [TestMethod]
    [DataRow(OptimizerKind.Sgd, 0.05, false)]
    [DataRow(OptimizerKind.Sgd, 0.05, true)]
    [DataRow(OptimizerKind.Adam, 1e-3, false)]
    [DataRow(OptimizerKind.AdamW, 1e-3, false)]
    public void EveryOptimizerLearns(OptimizerKind optimizer, double learningRate, bool nesterov)
    {
        var ml = new MLContext(seed: 1);
        var options = Plain(10);
        options.Optimizer = optimizer;
        options.LearningRate = learningRate;
        options.Nesterov = nesterov;

        var model = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(Blobs(ml));

        Assert.IsGreaterThan(0.95, ml.MulticlassClassification.Evaluate(model.Transform(Blobs(ml, 300, seed: 3))).MicroAccuracy);
    }

    [TestMethod]
    public void StreamingLearnsLikeCaching()
    {
        var ml = new MLContext(seed: 1);
        var options = Plain(10);
        options.DataLoading = DataLoadingMode.Streaming;
        options.ShuffleBufferSize = 100;
        options.ValidationFraction = 0.2;

        var model = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(Blobs(ml));

        Assert.IsGreaterThan(0.95, ml.MulticlassClassification.Evaluate(model.Transform(Blobs(ml, 300, seed: 3))).MicroAccuracy);
        Assert.IsTrue(model.History.All(r => r.ValidationLoss is not null));
    }

    internal static void AssertSameWeights(IReadOnlyDictionary<string, WeightTensor> expected, IReadOnlyDictionary<string, WeightTensor> actual)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), actual.Keys.ToArray());
        foreach (var (name, weight) in expected)
            CollectionAssert.AreEqual(weight.Values, actual[name].Values, $"weight {name}");
    }

    private sealed class StepRecorder : TrainingCallback
    {
        public Dictionary<string, WeightTensor>? Initial { get; private set; }

        public List<Dictionary<string, WeightTensor>> AfterEachStep { get; } = [];

        public override void OnTrainingBegin(TrainingContext context) => Initial = WeightTensor.ReadAll(context.Network);

        public override void OnBatchEnd(TrainingContext context, double loss) => AfterEachStep.Add(WeightTensor.ReadAll(context.Network));
    }

    private sealed class Tolerance(float delta) : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs((float)x! - (float)y!) <= delta ? 0 : 1;
    }

    internal sealed class CancelAfterEpoch(int epoch, CancellationTokenSource cancellation) : TrainingCallback
    {
        public override void OnEpochEnd(TrainingContext context, EpochRecord record)
        {
            if (record.Epoch == epoch)
                cancellation.Cancel();
        }
    }

    private sealed class InitialWeights(List<Dictionary<string, WeightTensor>> snapshots) : TrainingCallback
    {
        public override void OnTrainingBegin(TrainingContext context) => snapshots.Add(WeightTensor.ReadAll(context.Network));
    }
}

internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlnetdeep-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
