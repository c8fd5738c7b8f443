using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests.Evaluators;

[TestClass]
public sealed class MultiOutputRegressionTests
{
    private static readonly MLContext Ml = new(seed: 1);

    [TestMethod]
    public void EachOutputHasItsOwnErrorsAndTheAveragesCoverEveryValue()
    {
        var data = Ml.Data.LoadFromEnumerable(new[]
        {
            new TwoValues { Label = [1, 10], Score = [2, 10] },
            new TwoValues { Label = [3, 20], Score = [3, 16] },
            new TwoValues { Label = [5, 30], Score = [2, 30] },
        });

        var metrics = Ml.Regression.EvaluateMultiOutput(data);

        Assert.AreEqual(3, metrics.RowCount);
        // Output 0: errors 1, 0, 3 around labels 1, 3, 5 (squared deviation 8).
        Assert.AreEqual(4.0 / 3, metrics.PerOutput[0].MeanAbsoluteError, 1e-12);
        Assert.AreEqual(Math.Sqrt(10.0 / 3), metrics.PerOutput[0].RootMeanSquaredError, 1e-12);
        Assert.AreEqual(1 - 10.0 / 8, metrics.PerOutput[0].RSquared, 1e-12);
        // Output 1: errors 0, 4, 0 around labels 10, 20, 30 (squared deviation 200).
        Assert.AreEqual(4.0 / 3, metrics.PerOutput[1].MeanAbsoluteError, 1e-12);
        Assert.AreEqual(1 - 16.0 / 200, metrics.PerOutput[1].RSquared, 1e-12);
        Assert.AreEqual(8.0 / 6, metrics.MeanAbsoluteError, 1e-12);
        Assert.AreEqual(Math.Sqrt(26.0 / 6), metrics.RootMeanSquaredError, 1e-12);
    }

    [TestMethod]
    public void AScalarScoreIsAnErrorNamingTheColumn()
    {
        var data = Ml.Data.LoadFromEnumerable(new[] { new ScalarScore { Label = [1, 2], Score = 1 } });

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ml.Regression.EvaluateMultiOutput(data));

        StringAssert.Contains(error.Message, "Score column 'Score' has type Single");
    }

    [TestMethod]
    public void ANaNScoreIsAnErrorNamingTheRowAndSlot()
    {
        var data = Ml.Data.LoadFromEnumerable(new[]
        {
            new TwoValues { Label = [1, 10], Score = [2, 10] },
            new TwoValues { Label = [3, 20], Score = [3, float.NaN] },
        });

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Ml.Regression.EvaluateMultiOutput(data));

        StringAssert.Contains(error.Message, "Row 1, slot 1");
    }

    private sealed class TwoValues
    {
        [VectorType(2)]
        public float[] Label { get; set; } = [];

        [VectorType(2)]
        public float[] Score { get; set; } = [];
    }

    private sealed class ScalarScore
    {
        [VectorType(2)]
        public float[] Label { get; set; } = [];

        public float Score { get; set; }
    }
}
