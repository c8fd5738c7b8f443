using Microsoft.ML;
using MlNetDeep.Networks;

namespace MlNetDeep.Compression.Tests;

/// <summary>The per-layer report: parameters, sparsity, multiply-adds, and the metric before and after compression.</summary>
[TestClass]
public sealed class ReportTests
{
    [TestMethod]
    public void EachLayerReportsItsParametersSparsityAndMultiplyAdds()
    {
        var network = Networks.Random([1 * 8 * 8], 3,
            new InputLayoutLayer(1, 8, 8), new Conv2dLayer(1, 4, 3, 1, 1), new ActivationLayer(ActivationKind.Relu), new Pool2dLayer(PoolingKind.Max, 2, 2),
            new FlattenLayer(), new LinearLayer(4 * 4 * 4, 3));
        var pruned = new MLContext().Model.PruneWeights(network, 0.5, PruningScope.PerLayer);

        var report = NetworkReport.Of(pruned);

        var convolution = report.Layers[1];
        Assert.AreEqual(4 * 9 + 4, convolution.Parameters);
        Assert.AreEqual(4 * 9 * 64, convolution.MultiplyAdds, "every kernel weight meets each of the 8×8 output pixels");
        Assert.AreEqual(18 * 64, convolution.NonZeroMultiplyAdds);
        Assert.AreEqual(0.5, convolution.Sparsity!.Value, 1e-9);
        Assert.AreEqual("[4, 8, 8]", convolution.OutputShape);
        Assert.AreEqual(64 * 3, report.Layers[5].MultiplyAdds);
        Assert.AreEqual(96, report.Layers[5].NonZeroMultiplyAdds);
        Assert.IsNull(report.Layers[2].Sparsity, "an activation has no weights");
        CollectionAssert.AreEqual(new[] { "1.weight", "5.weight" }, report.PrunableWeights.ToArray());
        CollectionAssert.AreEqual(new[] { "1" }, report.UnitGroups.Select(g => g.Split(':')[0]).ToArray());
        StringAssert.Contains(report.ToString(), "Conv2d(1 -> 4, 3×3, stride 1)");
    }

    [TestMethod]
    public void TheCompressionReportComparesLayersAndAccuracyOnTheSameData()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 200, seed: 2);
        var options = UnstructuredPruningTests.Options(epochs: 2);
        var dense = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data);
        var pruned = ml.MulticlassClassification.Trainers.FeedForward(options)
            .WithPruning(new PruningOptions { Sparsity = 0.5, StartEpoch = 1, EndEpoch = 1 }).Fit(data, dense.Network);
        var pipeline = ml.Transforms.CopyColumns("Copy", "Features").Fit(data).Append(pruned);

        var report = ml.MulticlassClassification.EvaluateCompression(dense, pipeline, data);

        Assert.AreEqual(ml.MulticlassClassification.Evaluate(dense.Transform(data)).MicroAccuracy, report.MetricBefore);
        Assert.AreEqual(ml.MulticlassClassification.Evaluate(pruned.Transform(data)).MicroAccuracy, report.MetricAfter);
        Assert.AreEqual(report.Before.Parameters, report.After.Parameters);
        Assert.AreEqual(0.5, (double)report.After.NonZeroMultiplyAdds / report.Before.MultiplyAdds, 0.01);
        StringAssert.Contains(report.ToString(), "accuracy:");
    }
}
