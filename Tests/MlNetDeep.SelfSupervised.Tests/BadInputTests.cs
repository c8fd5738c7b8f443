using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.SelfSupervised.Tests;

[TestClass]
public sealed class BadInputTests
{
    [TestMethod]
    public void ABatchSizeBelowTwoIsRejectedNamingTheOption()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.ContrastivePretraining(new ContrastivePretrainingOptions { BatchSize = 1 }));
        StringAssert.Contains(error.Message, "BatchSize");
    }

    [TestMethod]
    public void ATemperatureOfZeroOrLessIsRejectedNamingTheOption()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.ContrastivePretraining(new ContrastivePretrainingOptions { Temperature = 0 }));
        StringAssert.Contains(error.Message, "Temperature");
    }

    [TestMethod]
    public void AFlatImageColumnWithoutAShapeIsRejectedBeforeTraining()
    {
        var ml = new MLContext(1);
        var flat = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => new FlatRow { Features = new float[784] }).ToArray());
        var epochs = 0;
        var pretrainer = ml.Transforms.ContrastivePretraining(new ContrastivePretrainingOptions { NumberOfEpochs = 1, BatchSize = 4 })
            .WithProgress(new SynchronousProgress(() => epochs++));
        var error = Assert.ThrowsExactly<ArgumentException>(() => pretrainer.Fit(flat));
        StringAssert.Contains(error.Message, "ImageShape");
        StringAssert.Contains(error.Message, "'Features'");
        Assert.AreEqual(0, epochs);
    }

    [TestMethod]
    public void OneRowIsTooFewToContrast()
    {
        var ml = new MLContext(1);
        var one = ml.Data.TakeRows(TestData.Blobs(ml, 3, seed: 1), 1);
        var options = new ContrastivePretrainingOptions { Encoder = new FeedForwardOptions(), NumberOfEpochs = 1 };
        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.ContrastivePretraining(options).Fit(one));
        StringAssert.Contains(error.Message, "at least 2 rows");
    }

    [TestMethod]
    public void AMissingFeatureColumnIsAnErrorNamingIt()
    {
        var ml = new MLContext(1);
        var data = TestData.Blobs(ml, 8, seed: 1);
        var options = new ContrastivePretrainingOptions { Encoder = new FeedForwardOptions(), FeatureColumnName = "Pixels" };
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.ContrastivePretraining(options).Fit(data));
        StringAssert.Contains(error.Message, "'Pixels'");
    }

    private sealed class FlatRow
    {
        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    private sealed class SynchronousProgress(Action report) : IProgress<EpochRecord>
    {
        public void Report(EpochRecord value) => report();
    }
}
