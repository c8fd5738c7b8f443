using Microsoft.ML;

namespace MlNetDeep.Compression.Tests;

/// <summary>Sparse training from scratch: fixed sparsity, changing connectivity, Erdős–Rényi densities.</summary>
[TestClass]
public sealed class SparseTrainingTests
{
    [TestMethod]
    [DataRow(SparseTrainingMethod.Set)]
    [DataRow(SparseTrainingMethod.Rigl)]
    public void SparsityStaysFixedWhileTheConnectionsChange(SparseTrainingMethod method)
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 320, seed: 2);
        var sparse = new DynamicSparseTraining(new SparseTrainingOptions { Method = method, Sparsity = 0.8, UpdateInterval = 5 });
        var probe = new ConnectivityProbe("1.weight", sparse);

        var model = ml.MulticlassClassification.Trainers.FeedForward(UnstructuredPruningTests.Options(epochs: 4, hidden: [64, 32]))
            .WithCallbacks(sparse, probe).Fit(data);

        foreach (var (masked, zeros) in probe.Sparsity)
        {
            Assert.AreEqual(0.8, masked, 2e-3, "the masks keep a fifth of the weights");
            Assert.IsGreaterThanOrEqualTo(masked, zeros, "no weight outside the masks is non-zero");
        }
        Assert.IsGreaterThanOrEqualTo(0.8 - 2e-3, Networks.Sparsity(model.Network));
        Assert.AreEqual(5, sparse.Updates, "40 steps, an update every 5 until three quarters through (steps 5 to 25)");
        var (first, last) = (probe.Active[0], probe.Active[^1]);
        Assert.IsLessThan(first.Count, first.Intersect(last).Count(), "connections were dropped and regrown");
    }

    [TestMethod]
    public void ErdosRenyiKeepsTheOverallDensityAndGivesSmallLayersMore()
    {
        long[][] shapes = [[256, 784], [128, 256], [10, 128], [32, 16, 3, 3]];
        var sizes = shapes.Select(s => (double)s.Aggregate(1L, (a, b) => a * b)).ToArray();

        var densities = LayerDensities.Compute(shapes, 0.9, LayerDensity.ErdosRenyi);
        var uniform = LayerDensities.Compute(shapes, 0.9, LayerDensity.Uniform);

        Assert.AreEqual(0.1 * sizes.Sum(), densities.Select((d, i) => d * sizes[i]).Sum(), 1e-6 * sizes.Sum());
        Assert.IsLessThan(densities[1], densities[0]);
        Assert.IsLessThan(densities[2], densities[1]);
        Assert.AreEqual((256.0 + 784) / (256 * 784) / ((128.0 + 256) / (128 * 256)), densities[0] / densities[1], 1e-9, "density ∝ (fan-in + fan-out) / (fan-in × fan-out)");
        Assert.AreEqual((32.0 + 16 + 3 + 3) / (32 * 16 * 9) / ((128.0 + 256) / (128 * 256)), densities[3] / densities[1], 1e-9, "kernels add their height and width");
        CollectionAssert.AreEqual(new[] { 0.1, 0.1, 0.1, 0.1 }, uniform.Select(d => Math.Round(d, 12)).ToArray());
    }

    [TestMethod]
    public void LayersThatWouldExceedFullDensityStayDenseAndTheOthersMakeUpForThem()
    {
        long[][] shapes = [[1000, 1000], [2, 1000]];

        var densities = LayerDensities.Compute(shapes, 0.5, LayerDensity.ErdosRenyi);

        Assert.AreEqual(1.0, densities[1]);
        Assert.AreEqual((0.5 * 1_002_000 - 2000) / 1_000_000, densities[0], 1e-12);
    }

    /// <summary>Records, after every epoch, the sparsity of the sparse weights and which positions of one weight are active.</summary>
    private sealed class ConnectivityProbe(string weight, DynamicSparseTraining sparse) : TrainingCallback
    {
        /// <summary>The masks' sparsity, and the share of weights that are zero (at least as large: a regrown weight can stay at zero).</summary>
        public List<(double Masked, double Zeros)> Sparsity { get; } = [];

        public List<HashSet<int>> Active { get; } = [];

        public override void OnEpochEnd(TrainingContext context, EpochRecord record)
        {
            var weights = context.Network.named_parameters().Where(p => PrunableWeights.IsPrunable(p.name, p.parameter.shape)).ToList();
            Sparsity.Add((sparse.CurrentSparsity, (double)weights.Sum(p => p.parameter.eq(0).sum().item<long>()) / weights.Sum(p => p.parameter.numel())));
            var values = weights.Single(p => p.name == weight).parameter.detach().flatten().data<float>().ToArray();
            Active.Add(Enumerable.Range(0, values.Length).Where(i => values[i] != 0).ToHashSet());
        }
    }
}
