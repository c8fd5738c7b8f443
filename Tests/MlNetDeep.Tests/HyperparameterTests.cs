using System.Text.Json.Nodes;
using Microsoft.ML;

namespace MlNetDeep.Tests;

/// <summary>Options are hyperparameters only: plain data that round-trips through JSON and that several Fits can share.</summary>
[TestClass]
public sealed class HyperparameterTests
{
    public static IEnumerable<object[]> EveryOptionsType() =>
    [
        [new FeedForwardOptions
        {
            HiddenLayerSizes = [64, 32], Activation = ActivationKind.Gelu, BatchNormalization = true, DropoutRate = 0.3, Optimizer = OptimizerKind.AdamW,
            LearningRateSchedule = new CosineSchedule { WarmupEpochs = 2, MinimumLearningRate = 1e-5 }, EarlyStopping = new EarlyStoppingOptions { Patience = 7, Monitor = MonitoredMetric.ValidationLoss },
            ClassWeights = [1f, 2f], Device = TrainingDevice.Cuda(1), Seed = 42, ScoreColumnName = "MlpScore", WeightAveragingDecay = 0.99,
        }],
        [new ConvolutionalNetworkOptions
        {
            Blocks = [new(16) { KernelSize = 5, Pooling = PoolingKind.Average, DropoutRate = 0.1 }, new(32) { Residual = true, Stride = 2 }],
            ImageShape = new ImageShape(3, 32, 32), PixelLayout = PixelLayout.ChannelsLast, ClassifierInput = ClassifierInput.GlobalAveragePooling,
            Augmentation = new ImageAugmentation { HorizontalFlipProbability = 0.5, ErasingProbability = 0.25 }, LearningRateSchedule = new OneCycleSchedule { DivFactor = 10 },
        }],
        [new PretrainedResNet18Options { Resolution = 64, FrozenStages = 2, StageLearningRateMultipliers = [0.1, 0.2, 0.3, 0.4, 0.5], LearningRateSchedule = new StepSchedule { StepEpochs = 3 } }],
        [new RecurrentNetworkOptions { Kind = RecurrentKind.Gru, Bidirectional = true, Pooling = SequencePooling.Attention, SequenceShape = new SequenceShape(8, 8), DataLoading = DataLoadingMode.Streaming }],
        [new TransformerNetworkOptions { Heads = 2, ModelDimensions = 32, Pooling = SequencePooling.First, ImagePatchSize = 4, LearningRateSchedule = new ReduceOnPlateauSchedule { Patience = 4 } }],
        [new DeepTrainerOptions { LearningRateSchedule = null, EarlyStopping = null, Device = TrainingDevice.Cpu, CheckpointFolder = "checkpoints" }],
    ];

    [TestMethod]
    [DynamicData(nameof(EveryOptionsType))]
    public void EveryOptionsTypeRoundTripsThroughJson(DeepTrainerOptions options)
    {
        var json = options.ToJson();

        var read = (DeepTrainerOptions)typeof(DeepTrainerOptions).GetMethod(nameof(DeepTrainerOptions.FromJson))!
            .MakeGenericMethod(options.GetType()).Invoke(null, [json])!;

        Assert.AreEqual(options.GetType(), read.GetType());
        Assert.AreEqual(json, read.ToJson(), "every hyperparameter survives the round trip");
        Assert.IsTrue(JsonNode.Parse(json)!.AsObject().ContainsKey(nameof(DeepTrainerOptions.LearningRate)), "plain property names");
    }

    [TestMethod]
    public void TheJsonNamesEnumsDevicesAndSchedulesAsTheyAreWritten()
    {
        var json = JsonNode.Parse(new RecurrentNetworkOptions { Kind = RecurrentKind.Gru, Device = TrainingDevice.Cuda(2), LearningRateSchedule = new CosineSchedule() }.ToJson())!;

        Assert.AreEqual("Gru", json["Kind"]!.GetValue<string>());
        Assert.AreEqual("Cuda(2)", json["Device"]!.GetValue<string>());
        Assert.AreEqual("cosine", json["LearningRateSchedule"]!["kind"]!.GetValue<string>());
    }

    [TestMethod]
    public void InvalidJsonOptionsAreRejectedNamingTheOption()
    {
        var json = JsonNode.Parse(new FeedForwardOptions().ToJson())!;
        json["DropoutRate"] = 1.5;

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DeepTrainerOptions.FromJson<FeedForwardOptions>(json.ToJsonString()));

        StringAssert.Contains(error.Message, "Option DropoutRate");
    }

    [TestMethod]
    public void JsonThatIsNotOptionsIsAClearError()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => DeepTrainerOptions.FromJson<FeedForwardOptions>("{\"Device\": \"Tpu\"}"));

        StringAssert.Contains(error.Message, "FeedForwardOptions");
        StringAssert.Contains(error.Message, "Tpu");
    }

    [TestMethod]
    public void OptionsReadFromJsonTrainTheSameModel()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 200, seed: 2);
        var options = new FeedForwardOptions { NumberOfEpochs = 4, Seed = 5, HiddenLayerSizes = [16], LearningRateSchedule = new ReduceOnPlateauSchedule { Patience = 0 } };

        var original = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data);
        var replayed = ml.MulticlassClassification.Trainers.FeedForward(DeepTrainerOptions.FromJson<FeedForwardOptions>(options.ToJson())).Fit(data);

        CollectionAssert.AreEqual(original.History.Select(r => (r.TrainLoss, r.LearningRate)).ToArray(), replayed.History.Select(r => (r.TrainLoss, r.LearningRate)).ToArray());
    }

    [TestMethod]
    public void TwoFitsRunningAtOnceWithOneOptionsObjectShareNoState()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 300, seed: 2);
        // The plateau schedule keeps state during a Fit; dropout is off because it draws from libtorch's process-wide generator.
        var options = new FeedForwardOptions
        {
            NumberOfEpochs = 8, Seed = 5, HiddenLayerSizes = [16], DropoutRate = 0, LearningRate = 0.05,
            LearningRateSchedule = new ReduceOnPlateauSchedule { Monitor = MonitoredMetric.ValidationMetric, Patience = 0, Factor = 0.5 }, EarlyStopping = null,
        };
        var alone = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data).History;

        var together = Enumerable.Range(0, 2).Select(_ => Task.Run(() => ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data).History)).ToArray();
        Task.WaitAll(together);

        Assert.IsTrue(alone.Any(r => r.LearningRate < options.LearningRate), "the schedule did lower the rate: " + string.Join("; ", alone));
        foreach (var run in together)
            CollectionAssert.AreEqual(alone.Select(r => (r.TrainLoss, r.LearningRate)).ToArray(), run.Result.Select(r => (r.TrainLoss, r.LearningRate)).ToArray());
    }
}
