using Microsoft.ML;
using MlNetDeep.Networks;

namespace MlNetDeep.Compression.Tests;

/// <summary>Structured pruning: whole neurons, channels and heads removed, giving a smaller network that computes what the original computes with those units silenced.</summary>
[TestClass]
public sealed class StructuredPruningTests
{
    [TestMethod]
    public void RemovingNeuronsGivesTheOriginalNetworkWithTheWeakestNeuronsSilenced()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 200, seed: 2);
        var options = UnstructuredPruningTests.Options(epochs: 2, hidden: [8, 6]);
        options.BatchNormalization = true;
        var network = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data).Network;

        var pruned = ml.Model.PruneUnits(network, new StructuredPruningOptions { Fraction = 0.5, Criterion = PruningCriterion.L2Norm });

        // Standardize, Linear 10→8, BatchNorm, ReLU, Linear 8→6, BatchNorm, ReLU, Linear 6→3.
        Assert.AreEqual(new LinearLayer(10, 4), pruned.Spec.Layers[1]);
        Assert.AreEqual(new BatchNormLayer(4), pruned.Spec.Layers[2]);
        Assert.AreEqual(new LinearLayer(4, 3), pruned.Spec.Layers[4]);
        Assert.AreEqual(new LinearLayer(3, 3), pruned.Spec.Layers[7]);
        var silenced = Silence(network, ("1.weight", "4.weight", 4), ("4.weight", "7.weight", 3));
        var rows = Networks.Features(data, 20);
        Networks.AssertClose(Networks.Outputs(silenced, rows), Networks.Outputs(pruned, rows));
    }

    [TestMethod]
    public void RemovingChannelsShrinksTheOnnxGraphAndTheSmallerNetworkFineTunes()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Bars(ml, 150, seed: 1);
        var options = new ConvolutionalNetworkOptions
        {
            NumberOfEpochs = 2, Seed = 3, BatchSize = 16, HiddenLayerSizes = [16], EarlyStopping = null, ValidationFraction = 0,
            Blocks = [new(16), new(16)],
        };
        var model = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data);

        var pruned = ml.Model.PruneUnits(model.Network, new StructuredPruningOptions { Fraction = 0.5, Criterion = PruningCriterion.L2Norm, Layers = ["2", "6"] });
        var fineTuned = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data, pruned);

        // Layout, ChannelStandardize, Conv 1→16, BN, ReLU, MaxPool, Conv 16→16, BN, ReLU, MaxPool, Flatten, Linear 16·2·2→16, …
        Assert.AreEqual(new Conv2dLayer(1, 8, 3, 1, 1, HasBias: false), pruned.Spec.Layers[2]);
        Assert.AreEqual(new Conv2dLayer(8, 8, 3, 1, 1, HasBias: false), pruned.Spec.Layers[6]);
        Assert.AreEqual(new LinearLayer(8 * 2 * 2, 16), pruned.Spec.Layers[11]);
        Assert.AreEqual(pruned.Spec.ToJson(), fineTuned.Network.Spec.ToJson(), "fine-tuning keeps the smaller network");
        Assert.IsLessThan(0.6 * model.Network.ToOnnx().Length, pruned.ToOnnx().Length);
        var silenced = Silence(model.Network, ("2.weight", "6.weight", 8), ("6.weight", "11.weight", 8));
        var rows = Networks.Features(data, 20);
        Networks.AssertClose(Networks.Outputs(silenced, rows), Networks.Outputs(pruned, rows), 1e-4f);
    }

    [TestMethod]
    public void RemovingAttentionHeadsAndFeedForwardUnitsKeepsTheExportedGraphEqualToTheNetwork()
    {
        var network = Networks.Random([5 * 2], 3,
            new SequenceLayoutLayer(5, 2), new SequenceProjectionLayer(2, 8), new TransformerEncoderLayer(8, 4, 16, Dropout: 0),
            new SequencePoolingLayer(SequencePooling.Mean, 8), new LinearLayer(8, 3));

        var pruned = ml().Model.PruneUnits(network, new StructuredPruningOptions { Fraction = 0.5, Criterion = PruningCriterion.L1Norm });

        Assert.AreEqual(new TransformerEncoderLayer(8, 2, 8, Dropout: 0, AttentionSize: 4), pruned.Spec.Layers[2]);
        var headScores = Enumerable.Range(0, 4).Select(h => new[] { "query", "key", "value" }
            .Sum(p => RowsL1(network.Weights[$"2.attention.{p}.weight"], h * 2, 2)) + ColumnsL1(network.Weights["2.attention.output.weight"], h * 2, 2)).ToArray();
        var feedForwardScores = Enumerable.Range(0, 16).Select(u => RowsL1(network.Weights["2.feedforward1.weight"], u, 1)).ToArray();
        var weights = network.Weights.ToDictionary(w => w.Key, w => w.Value);
        weights["2.attention.output.weight"] = ZeroColumns(weights["2.attention.output.weight"], Weakest(headScores, 2).SelectMany(h => new[] { 2 * h, 2 * h + 1 }));
        weights["2.feedforward2.weight"] = ZeroColumns(weights["2.feedforward2.weight"], Weakest(feedForwardScores, 8));
        var rows = Enumerable.Range(0, 6).Select(r => Enumerable.Range(0, 10).Select(i => MathF.Sin(r * 10 + i)).ToArray()).ToArray();
        var expected = Networks.Outputs(network.Spec, weights, rows);
        Networks.AssertClose(expected, Networks.Outputs(pruned, rows));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(pruned.ToOnnx());
        for (var r = 0; r < rows.Length; r++)
        {
            using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("Features", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(rows[r], [10]))]);
            var scores = results.Single(x => x.Name == "Score").AsEnumerable<float>().ToArray();
            var softmax = expected[r].Select(MathF.Exp).ToArray();
            Networks.AssertClose([softmax.Select(v => v / softmax.Sum()).ToArray()], [scores]);
        }

        static MLContext ml() => new(seed: 1);
    }

    [TestMethod]
    public void GlobalScopeTakesMoreFromTheLayersWithTheWeakestUnits()
    {
        var network = Networks.Random([10], 3, new LinearLayer(10, 20), new ActivationLayer(ActivationKind.Relu), new LinearLayer(20, 20),
            new ActivationLayer(ActivationKind.Relu), new LinearLayer(20, 3));
        var weights = network.Weights.ToDictionary(w => w.Key, w => w.Value);
        weights["0.weight"] = new WeightTensor(weights["0.weight"].Shape, weights["0.weight"].Values.Select(v => v * 0.01f).ToArray());
        var weakFirstLayer = new TrainedNetwork(network.Spec, weights, network.Task, 3);

        var pruned = new MLContext().Model.PruneUnits(weakFirstLayer, new StructuredPruningOptions { Fraction = 0.4, Scope = PruningScope.Global });

        Assert.AreEqual(new LinearLayer(10, 4), pruned.Spec.Layers[0], "16 of the 40 units go, all from the weak layer (which keeps more than one)");
        Assert.AreEqual(new LinearLayer(4, 20), pruned.Spec.Layers[2]);
    }

    [TestMethod]
    public void NetworkSlimmingShrinksBatchNormScalesSoTheyCanRankChannels()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Bars(ml, 150, seed: 1);
        var options = new ConvolutionalNetworkOptions
        {
            NumberOfEpochs = 3, Seed = 3, BatchSize = 16, HiddenLayerSizes = [16], EarlyStopping = null, ValidationFraction = 0,
            Blocks = [new(16), new(16)], LearningRate = 0.02, LearningRateSchedule = null,
        };

        var plain = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data).Network;
        var slimmed = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).WithNetworkSlimming(new NetworkSlimmingOptions { ScalePenalty = 0.05 }).Fit(data).Network;
        var pruned = ml.Model.PruneUnits(slimmed, new StructuredPruningOptions { Fraction = 0.5, Criterion = PruningCriterion.BatchNormScale, Scope = PruningScope.Global });

        double MeanScale(TrainedNetwork n) => new[] { "3.weight", "7.weight" }.SelectMany(w => n.Weights[w].Values).Average(MathF.Abs);
        Assert.IsLessThan(0.8 * MeanScale(plain), MeanScale(slimmed));
        var channels = ((Conv2dLayer)pruned.Spec.Layers[2]).OutputChannels + ((Conv2dLayer)pruned.Spec.Layers[6]).OutputChannels;
        Assert.AreEqual(16, channels, "half of the 32 channels are removed, ranked by scale across both layers");
    }

    /// <summary>The network with each group's units of smallest L2 row norm silenced: their columns in the consumer set to zero.</summary>
    private static TrainedNetwork Silence(TrainedNetwork network, params (string Producer, string Consumer, int Keep)[] groups)
    {
        var weights = network.Weights.ToDictionary(w => w.Key, w => w.Value);
        foreach (var (producer, consumer, keep) in groups)
        {
            var weight = network.Weights[producer];
            var units = (int)weight.Shape[0];
            var scores = Enumerable.Range(0, units).Select(u => Math.Sqrt(RowsSquared(weight, u))).ToArray();
            var columnsPerUnit = (int)(weights[consumer].Shape[1] / units);
            var silenced = Weakest(scores, units - keep).SelectMany(u => Enumerable.Range(u * columnsPerUnit, columnsPerUnit));
            weights[consumer] = ZeroColumns(weights[consumer], silenced);
        }
        return new TrainedNetwork(network.Spec, weights, network.Task, network.ClassCount);
    }

    private static IEnumerable<int> Weakest(double[] scores, int count) => Enumerable.Range(0, scores.Length).OrderBy(u => scores[u]).Take(count);

    private static long RowLength(WeightTensor weight) => weight.Values.Length / weight.Shape[0];

    private static double RowsSquared(WeightTensor weight, int row) =>
        weight.Values.Skip((int)(row * RowLength(weight))).Take((int)RowLength(weight)).Sum(v => (double)v * v);

    private static double RowsL1(WeightTensor weight, int firstRow, int rows) =>
        weight.Values.Skip((int)(firstRow * RowLength(weight))).Take((int)(rows * RowLength(weight))).Sum(v => Math.Abs((double)v));

    private static double ColumnsL1(WeightTensor weight, int firstColumn, int columns)
    {
        var width = (int)weight.Shape[1];
        return weight.Values.Where((_, i) => i % width >= firstColumn && i % width < firstColumn + columns).Sum(v => Math.Abs((double)v));
    }

    /// <summary>The weight with the given input columns (dimension 1) set to zero, for any rank.</summary>
    private static WeightTensor ZeroColumns(WeightTensor weight, IEnumerable<int> columns)
    {
        var set = columns.ToHashSet();
        var inner = weight.Shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        var width = weight.Shape[1];
        return new WeightTensor(weight.Shape, weight.Values.Select((v, i) => set.Contains((int)(i / inner % width)) ? 0f : v).ToArray());
    }
}
