using Microsoft.ML;
using MlNetDeep.Data;
using MlNetDeep.Engine;
using MlNetDeep.Networks;
using MlNetDeep.Tasks;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class LayerGroupTests
{
    /// <summary>An MLP whose hidden layer learns at a tenth of the rate and is frozen for the first <paramref name="frozenEpochs"/> epochs.</summary>
    private sealed class GroupedNetwork(int frozenEpochs) : NetworkArchitecture
    {
        public override NetworkBody Create(FeatureColumn features, long outputSize, bool normalize) =>
            new([new LinearLayer(features.Size, 16), new ActivationLayer(ActivationKind.Relu), new LinearLayer(16, outputSize)])
            {
                LayerGroups = [new LayerGroup("hidden", 0, 2, LearningRateMultiplier: 0.1, TrainableFromEpoch: frozenEpochs + 1), new LayerGroup("head", 2, 1)],
            };
    }

    private static DeepTrainer Trainer(MLContext ml, DeepTrainerOptions options, int frozenEpochs) =>
        new(ml.MulticlassClassification.Trainers, options, new GroupedNetwork(frozenEpochs), MulticlassTask.Instance);

    private static DeepTrainerOptions Options(int epochs) => new() { NumberOfEpochs = epochs, Seed = 3, EarlyStopping = null, LearningRateSchedule = null, ValidationFraction = 0.2 };

    [TestMethod]
    public void AScheduleScalesEveryGroupAndKeepsItsMultiplier()
    {
        var ml = new MLContext(seed: 1);
        var options = Options(3);
        options.LearningRate = 0.01;
        options.LearningRateSchedule = new StepSchedule { StepEpochs = 1, Gamma = 0.5 };
        var recorder = new GroupRateRecorder();

        var model = Trainer(ml, options, frozenEpochs: 0).WithCallbacks(recorder).Fit(TestData.KeyedBlobs(ml, 90, seed: 2));

        for (var epoch = 0; epoch < 3; epoch++)
        {
            var rate = 0.01 * Math.Pow(0.5, epoch);
            Assert.AreEqual(rate * 0.1, recorder.Rates[epoch][0], 1e-12, $"hidden group, epoch {epoch + 1}");
            Assert.AreEqual(rate, recorder.Rates[epoch][1], 1e-12, $"head group, epoch {epoch + 1}");
            Assert.AreEqual(rate, model.History[epoch].LearningRate, 1e-12, "the history reports the base rate");
        }
    }

    [TestMethod]
    public void AResumedRunWithAFrozenPhaseEndsWhereAnUninterruptedRunEnds()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 90, seed: 2);
        DeepTrainerOptions OptionsIn(string folder)
        {
            var options = Options(4);
            options.CheckpointFolder = folder;
            options.ResumeFromCheckpoint = true;
            return options;
        }
        using var uninterruptedFolder = new TemporaryFolder();
        using var interruptedFolder = new TemporaryFolder();

        var uninterrupted = Trainer(ml, OptionsIn(uninterruptedFolder.Path), frozenEpochs: 2).Fit(data);
        using var cancellation = new CancellationTokenSource();
        var interrupted = Trainer(ml, OptionsIn(interruptedFolder.Path), frozenEpochs: 2)
            .WithCancellation(cancellation.Token).WithCallbacks(new TrainingEngineTests.CancelAfterEpoch(1, cancellation));
        Assert.ThrowsExactly<OperationCanceledException>(() => interrupted.Fit(data));
        var resumed = Trainer(ml, OptionsIn(interruptedFolder.Path), frozenEpochs: 2).Fit(data);

        CollectionAssert.AreEqual(uninterrupted.History.Select(r => (r.TrainLoss, r.ValidationLoss)).ToArray(),
            resumed.History.Select(r => (r.TrainLoss, r.ValidationLoss)).ToArray());
        TrainingEngineTests.AssertSameWeights(uninterrupted.Network.Weights, resumed.Network.Weights);
    }

    [TestMethod]
    public void AParameterOutsideEveryGroupIsAnError()
    {
        using var network = new NetworkSpec([4], [new LinearLayer(4, 3), new LinearLayer(3, 2)]).CreateModule();

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => LayerGroup.Partition(network, [new LayerGroup("first", 0, 1)]));

        StringAssert.Contains(error.Message, "'1.weight'");
    }

    private sealed class GroupRateRecorder : TrainingCallback
    {
        public List<double[]> Rates { get; } = [];

        public override void OnEpochTrainingEnd(TrainingContext context) => Rates.Add(context.Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray());
    }
}
