using Microsoft.ML;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Compression.Tests;

/// <summary>Magnitude pruning during training and of trained networks, and what it does to the saved model.</summary>
[TestClass]
public sealed class UnstructuredPruningTests
{
    internal static FeedForwardOptions Options(int epochs = 4, int[]? hidden = null) => new()
    {
        NumberOfEpochs = epochs, Seed = 3, HiddenLayerSizes = hidden ?? [32, 16], DropoutRate = 0, BatchSize = 32,
        EarlyStopping = null, LearningRateSchedule = null, ValidationFraction = 0,
        // The tests count optimizer steps per epoch as batches per pass over the rows.
        MinimumStepsPerEpoch = 1,
    };

    [TestMethod]
    public void SparsityFollowsThePolynomialScheduleAndStaysAtTheTargetAfterTheEndEpoch()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 320, seed: 2);
        var pruning = new PruningOptions { Sparsity = 0.8, StartEpoch = 2, EndEpoch = 4, UpdatesPerEpoch = 2 };
        var probe = new SparsityProbe();

        var model = ml.MulticlassClassification.Trainers.FeedForward(Options(epochs: 6)).WithPruning(pruning).WithCallbacks(probe).Fit(data);

        // 10 steps per epoch, updates every 5 steps from step 10 to step 30: s = 0.8·(1 − (1 − p)³) at p = 0, ¼, ½, ¾, then 0.8.
        double[] expected = [0, 0.8 * (1 - Math.Pow(0.75, 3)), 0.8 * (1 - Math.Pow(0.25, 3)), 0.8, 0.8, 0.8];
        Assert.HasCount(6, probe.SparsityAtEpochEnd);
        for (var epoch = 0; epoch < 6; epoch++)
            Assert.AreEqual(expected[epoch], probe.SparsityAtEpochEnd[epoch], 2e-3, $"epoch {epoch + 1}");
        Assert.AreEqual(0.8, Networks.Sparsity(model.Network), 2e-3, "the fitted model keeps the final sparsity");
    }

    [TestMethod]
    public void TheScheduleIsZhuAndGuptasCubicFromInitialToFinalSparsity()
    {
        var options = new PruningOptions { InitialSparsity = 0.2, Sparsity = 0.9 };

        Assert.AreEqual(0.2, options.SparsityAt(100, 100, 300), 1e-12);
        Assert.AreEqual(0.9 + (0.2 - 0.9) * Math.Pow(0.5, 3), options.SparsityAt(200, 100, 300), 1e-12);
        Assert.AreEqual(0.9, options.SparsityAt(300, 100, 300), 1e-12);
        Assert.AreEqual(0.9, options.SparsityAt(400, 100, 300), 1e-12);
        Assert.AreEqual(8, new PruningOptions { StartEpoch = 2 }.EndEpochFor(10), "three quarters of the epochs by default");
    }

    [TestMethod]
    public void GlobalScopeRanksAllLayersTogetherWhilePerLayerPrunesEachTheSame()
    {
        var ml = new MLContext(seed: 1);
        var network = ml.MulticlassClassification.Trainers.FeedForward(Options(epochs: 2)).Fit(TestData.Blobs(ml, 200, seed: 2)).Network;

        var global = ml.Model.PruneWeights(network, 0.6);
        var perLayer = ml.Model.PruneWeights(network, 0.6, PruningScope.PerLayer);

        Assert.AreEqual(0.6, Networks.Sparsity(global), 1e-3);
        var globalLayers = NetworkReport.Of(global).Layers.Where(l => l.Sparsity is not null).Select(l => l.Sparsity!.Value).ToArray();
        Assert.IsGreaterThan(0.05, globalLayers.Max() - globalLayers.Min(), "layers end with different sparsities");
        foreach (var layer in NetworkReport.Of(perLayer).Layers.Where(l => l.Sparsity is not null))
            Assert.AreEqual(0.6, layer.Sparsity!.Value, 0.02, $"layer {layer.Name}");
        var smallestKept = global.Weights.Where(w => PrunableWeights.IsPrunable(w.Key, w.Value.Shape)).SelectMany(w => w.Value.Values).Where(v => v != 0).Min(MathF.Abs);
        var largestRemoved = network.Weights.Where(w => PrunableWeights.IsPrunable(w.Key, w.Value.Shape))
            .SelectMany(w => w.Value.Values.Zip(global.Weights[w.Key].Values)).Where(p => p.Second == 0).Max(p => MathF.Abs(p.First));
        Assert.IsLessThanOrEqualTo(smallestKept, largestRemoved, "global pruning removes the smallest magnitudes of all layers");
    }

    [TestMethod]
    public void OneShotPruningOfATrainedNetworkThenFineTuningKeepsTheRemovedWeightsAtZero()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 300, seed: 2);
        var dense = ml.MulticlassClassification.Trainers.FeedForward(Options(epochs: 3)).Fit(data).Network;
        var oneShot = ml.Model.PruneWeights(dense, 0.7);

        var fineTuned = ml.MulticlassClassification.Trainers.FeedForward(Options(epochs: 3))
            .WithPruning(new PruningOptions { Sparsity = 0.7, StartEpoch = 1, EndEpoch = 1 }).Fit(data, dense).Network;

        foreach (var name in NetworkReport.Of(dense).PrunableWeights)
        {
            var (pruned, tuned, original) = (oneShot.Weights[name].Values, fineTuned.Weights[name].Values, dense.Weights[name].Values);
            for (var i = 0; i < pruned.Length; i++)
                Assert.AreEqual(pruned[i] == 0, tuned[i] == 0, $"{name}[{i}]: the same weights are removed and stay removed");
            Assert.IsTrue(tuned.Where((v, i) => v != 0 && v != original[i]).Any(), $"{name}: the remaining weights were fine-tuned");
        }
    }

    [TestMethod]
    public void APrunedModelZipShrinksWithSparsityAndScoresTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 200, seed: 2);
        var options = Options(epochs: 2, hidden: [256, 256]);
        var dense = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data);
        var sparse = ml.MulticlassClassification.Trainers.FeedForward(options)
            .WithPruning(new PruningOptions { Sparsity = 0.9, StartEpoch = 1, EndEpoch = 1 }).Fit(data, dense.Network);
        using var folder = new TemporaryFolder();

        FreshProcess.AssertAgrees(ml, sparse, data, "multiclass", folder.File("sparse.zip"));
        ml.Model.Save(dense, data.Schema, folder.File("dense.zip"));

        var ratio = (double)new FileInfo(folder.File("sparse.zip")).Length / new FileInfo(folder.File("dense.zip")).Length;
        Assert.IsLessThan(0.25, ratio, $"model.zip at 90% sparsity is {ratio:P0} of the dense one");
        var loaded = TrainedNetwork.Load(folder.File("sparse.zip"));
        foreach (var (name, weight) in sparse.Network.Weights)
            CollectionAssert.AreEqual(weight.Values.Select(v => v == 0 ? 0f : v).ToArray(), loaded.Weights[name].Values, $"{name} reads back from model.zip");
    }

    [TestMethod]
    public void ASparseWeightWithLongRunsOfZerosComputesTheSameInOnnxRuntime()
    {
        var network = Networks.Random([1000], 3, new LinearLayer(1000, 300), new ActivationLayer(ActivationKind.Relu), new LinearLayer(300, 3));
        var weights = network.Weights.ToDictionary(w => w.Key, w => w.Value);
        // Runs of zeros longer than one byte's gap, a negative zero, and a non-zero value at the very end.
        var first = weights["0.weight"].Values.Select((v, i) => i % 1000 < 700 ? 0f : i % 7 == 0 ? -0f : v).ToArray();
        first[^1] = 0.5f;
        weights["0.weight"] = new WeightTensor([300, 1000], first);
        var sparse = new TrainedNetwork(network.Spec, weights, network.Task, 3);

        var onnx = sparse.ToOnnx();
        var roundTrip = TrainedNetwork.FromOnnx(onnx);

        Assert.IsLessThan(first.Length * 4 / 3, onnx.Length, "the sparse weight is stored compactly");
        CollectionAssert.AreEqual(first.Select(v => v == 0 ? 0f : v).ToArray(), roundTrip.Weights["0.weight"].Values);
        var input = Enumerable.Range(0, 1000).Select(i => MathF.Sin(i)).ToArray();
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
        using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("Features", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(input, [1000]))]);
        var scores = results.Single(r => r.Name == "Score").AsEnumerable<float>().ToArray();
        using var logits = tensor(Networks.Outputs(sparse, [input])[0]);
        CollectionAssert.AreEqual(nn.functional.softmax(logits, 0).data<float>().ToArray().Select(v => MathF.Round(v, 5)).ToArray(), scores.Select(v => MathF.Round(v, 5)).ToArray());
    }

    [TestMethod]
    public void PruningCanBeResumedFromACheckpointWithItsMasks()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 200, seed: 2);
        using var folder = new TemporaryFolder();
        var options = Options(epochs: 4);
        options.CheckpointFolder = folder.Path;
        var pruning = new PruningOptions { Sparsity = 0.75, StartEpoch = 1, EndEpoch = 3 };
        var uninterrupted = ml.MulticlassClassification.Trainers.FeedForward(Options(epochs: 4)).WithPruning(pruning).Fit(data).Network;

        using var cancellation = new CancellationTokenSource();
        var stopAfterTwo = new StopAfterEpoch(2, cancellation);
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            ml.MulticlassClassification.Trainers.FeedForward(options).WithPruning(pruning).WithCallbacks(stopAfterTwo).WithCancellation(cancellation.Token).Fit(data));
        options.ResumeFromCheckpoint = true;
        var resumed = ml.MulticlassClassification.Trainers.FeedForward(options).WithPruning(pruning).Fit(data).Network;

        foreach (var (name, weight) in uninterrupted.Weights)
            CollectionAssert.AreEqual(weight.Values, resumed.Weights[name].Values, $"{name} ends as in an uninterrupted run");
    }

    /// <summary>Records the sparsity of the network's prunable weights after every epoch.</summary>
    internal sealed class SparsityProbe : TrainingCallback
    {
        public List<double> SparsityAtEpochEnd { get; } = [];

        public override void OnEpochEnd(TrainingContext context, EpochRecord record)
        {
            var weights = context.Network.named_parameters().Where(p => PrunableWeights.IsPrunable(p.name, p.parameter.shape)).ToList();
            SparsityAtEpochEnd.Add((double)weights.Sum(p => p.parameter.eq(0).sum().item<long>()) / weights.Sum(p => p.parameter.numel()));
        }
    }

    private sealed class StopAfterEpoch(int epoch, CancellationTokenSource cancellation) : TrainingCallback
    {
        public override void OnEpochEnd(TrainingContext context, EpochRecord record)
        {
            if (context.Epoch == epoch)
                cancellation.Cancel();
        }
    }
}
