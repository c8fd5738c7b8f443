using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class CustomNetworkTests
{
    private static DeepTrainerOptions Options(int epochs = 20) => new() { NumberOfEpochs = epochs, Seed = 5, EarlyStopping = null };

    [TestMethod]
    public void YourOwnNetworkIsTrainedInPlaceAndScoredLikeAnyModel()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 600, seed: 2);
        var network = nn.Sequential(
            ("hidden", nn.Linear(TestData.FeatureCount, 24)),
            ("norm", nn.BatchNorm1d(24)),
            ("act", nn.LeakyReLU(0.05)),
            ("drop", nn.Dropout(0.2)),
            ("out", nn.Sequential(("logits", nn.Linear(24, 3)))));
        var initial = network.parameters().Select(p => p.detach().clone()).ToArray();

        var model = ml.MulticlassClassification.Trainers.CustomNetwork(network, Options()).Fit(data);

        Assert.IsGreaterThan(0.95, ml.MulticlassClassification.Evaluate(model.Transform(TestData.KeyedBlobs(ml, 300, seed: 3))).MicroAccuracy);
        Assert.IsTrue(network.parameters().Zip(initial).All(p => !p.First.detach().allclose(p.Second)), "the caller's layers hold the trained weights");
        CollectionAssert.AreEqual(
            new[] { "StandardizeLayer", "LinearLayer", "BatchNormLayer", "ActivationLayer", "DropoutLayer", "LinearLayer" },
            model.Network.Spec.Layers.Select(l => l.GetType().Name).ToArray());
        foreach (var tensor in initial)
            tensor.Dispose();
    }

    [TestMethod]
    public void DropoutIsActiveInTrainingAndOffWhenScoring()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 300, seed: 2);
        var network = nn.Sequential(("hidden", nn.Linear(TestData.FeatureCount, 64)), ("act", nn.ReLU()), ("drop", nn.Dropout(0.5)), ("out", nn.Linear(64, 3)));
        var options = Options(3);
        options.NormalizeFeatures = false;
        var model = ml.MulticlassClassification.Trainers.CustomNetwork(network, options).Fit(data);
        var example = data.GetColumn<float[]>("Features").First();
        using var input = tensor(example).unsqueeze(0);

        network.train();
        using var first = network.forward(input);
        using var second = network.forward(input);
        network.eval();
        using var inference = nn.functional.softmax(network.forward(input), 1);

        Assert.IsFalse(first.allclose(second), "dropout changes the output while training");
        var scored = model.Transform(ml.Data.TakeRows(data, 1)).GetColumn<float[]>("Score").Single();
        var again = model.Transform(ml.Data.TakeRows(data, 1)).GetColumn<float[]>("Score").Single();
        CollectionAssert.AreEqual(scored, again, "scoring is deterministic");
        var expected = inference.data<float>().ToArray();
        for (var i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], scored[i], 1e-5f, "scoring equals the network in inference mode");
    }

    [TestMethod]
    public void BatchNormUsesRunningStatisticsWhenScoring()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 300, seed: 2);
        var network = nn.Sequential(("hidden", nn.Linear(TestData.FeatureCount, 8)), ("norm", nn.BatchNorm1d(8)), ("out", nn.Linear(8, 3)));
        var model = ml.MulticlassClassification.Trainers.CustomNetwork(network, Options(3)).Fit(data);

        var single = model.Transform(ml.Data.TakeRows(data, 1)).GetColumn<float[]>("Score").Single();
        var inBatch = model.Transform(data).GetColumn<float[]>("Score").First();

        CollectionAssert.AreEqual(single, inBatch, "a row scores the same alone or among others");
        Assert.IsTrue(model.Network.Weights["2.running_var"].Values.Any(v => Math.Abs(v - 1) > 1e-3), "running statistics were learnt");
    }

    [TestMethod]
    public void AnUnsupportedLayerIsAnErrorThatNamesIt()
    {
        var ml = new MLContext(seed: 1);
        var network = nn.Sequential(("hidden", nn.Linear(TestData.FeatureCount, 8)), ("conv", nn.Conv1d(1, 1, 3)), ("out", nn.Linear(8, 3)));
        var trainer = ml.MulticlassClassification.Trainers.CustomNetwork(network, Options(1));

        var error = Assert.ThrowsExactly<NotSupportedException>(() => trainer.Fit(TestData.KeyedBlobs(ml, 30, seed: 2)));

        StringAssert.Contains(error.Message, "network.conv");
        StringAssert.Contains(error.Message, "Conv1d");
    }

    [TestMethod]
    public void ANetworkWhoseOutputDoesNotFitTheTaskIsAnError()
    {
        var ml = new MLContext(seed: 1);
        var network = nn.Sequential(("hidden", nn.Linear(TestData.FeatureCount, 8)), ("out", nn.Linear(8, 4)));

        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.MulticlassClassification.Trainers.CustomNetwork(network, Options(1)).Fit(TestData.KeyedBlobs(ml, 30, seed: 2)));

        StringAssert.Contains(error.Message, "[4]");
        StringAssert.Contains(error.Message, "[3]");
    }

    [TestMethod]
    public void ANetworkThatDoesNotFitTheFeaturesIsAnError()
    {
        var ml = new MLContext(seed: 1);
        var network = nn.Sequential(("hidden", nn.Linear(7, 8)), ("out", nn.Linear(8, 1)));

        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.Regression.Trainers.CustomNetwork(network, Options(1)).Fit(ml.Data.LoadFromEnumerable(TestData.Smooth(30, seed: 2))));

        StringAssert.Contains(error.Message, "feature column 'Features' (10 values)");
        StringAssert.Contains(error.Message, "expects 7 input features");
    }
}
