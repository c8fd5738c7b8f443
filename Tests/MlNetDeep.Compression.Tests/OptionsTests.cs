namespace MlNetDeep.Compression.Tests;

/// <summary>Compression options are hyperparameters: plain data that round-trips through JSON.</summary>
[TestClass]
public sealed class OptionsTests
{
    [TestMethod]
    public void EveryOptionsClassRoundTripsThroughJson()
    {
        CompressionOptions[] options =
        [
            new PruningOptions { Sparsity = 0.8, InitialSparsity = 0.1, StartEpoch = 2, EndEpoch = 5, UpdatesPerEpoch = 3, Exponent = 2, Scope = PruningScope.PerLayer, Weights = ["1.weight"] },
            new StructuredPruningOptions { Fraction = 0.3, Criterion = PruningCriterion.BatchNormScale, Scope = PruningScope.Global, Layers = ["2", "5.heads"] },
            new NetworkSlimmingOptions { ScalePenalty = 1e-3 },
            new SparseTrainingOptions { Method = SparseTrainingMethod.Set, Sparsity = 0.95, Distribution = LayerDensity.Uniform, UpdateInterval = 50, DropFraction = 0.2, EndFraction = 0.5, Weights = ["3.weight"] },
            new DistillationOptions { Alpha = 0.4, Temperature = 2, TeacherScoreColumnName = "TeacherScore", TeacherOutputs = TeacherOutputs.OnTheFly },
        ];

        foreach (var original in options)
        {
            var json = original.ToJson();
            var read = (CompressionOptions)typeof(CompressionOptions).GetMethod(nameof(CompressionOptions.FromJson))!.MakeGenericMethod(original.GetType()).Invoke(null, [json])!;
            Assert.AreEqual(json, read.ToJson(), original.GetType().Name);
        }
        StringAssert.Contains(options[0].ToJson(), "\"Scope\": \"PerLayer\"");
    }

    [TestMethod]
    public void JsonWithAnInvalidValueIsRejectedNamingTheOption()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CompressionOptions.FromJson<DistillationOptions>("{ \"Alpha\": 0 }"));

        StringAssert.Contains(error.Message, "Option Alpha must be in (0, 1]");
    }
}
