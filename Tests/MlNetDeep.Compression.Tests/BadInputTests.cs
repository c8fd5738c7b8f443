using Microsoft.ML;

namespace MlNetDeep.Compression.Tests;

/// <summary>Bad options and teachers fail before training, naming the option or column.</summary>
[TestClass]
public sealed class BadInputTests
{
    [TestMethod]
    [DataRow(-0.1)]
    [DataRow(1.0)]
    [DataRow(double.NaN)]
    public void ASparsityOutsideZeroToOneIsRejectedWhenTheTrainerIsMade(double sparsity)
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.MulticlassClassification.Trainers.FeedForward();

        var pruning = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.WithPruning(new PruningOptions { Sparsity = sparsity }));
        var sparse = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.WithSparseTraining(new SparseTrainingOptions { Sparsity = sparsity }));
        var oneShot = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.PruneWeights(Networks.Random([4], 2, new LinearLayer(4, 2)), sparsity));
        var structured = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Model.PruneUnits(Networks.Random([4], 2, new LinearLayer(4, 3), new LinearLayer(3, 2)), new StructuredPruningOptions { Fraction = sparsity }));

        StringAssert.Contains(pruning.Message, "Option Sparsity must be in [0, 1)");
        StringAssert.Contains(sparse.Message, "Option Sparsity must be in [0, 1)");
        StringAssert.Contains(oneShot.Message, "Sparsity must be in [0, 1)");
        StringAssert.Contains(structured.Message, "Option Fraction must be in [0, 1)");
    }

    [TestMethod]
    public void PruningAWeightThatDoesNotExistOrCannotBePrunedFailsBeforeTheFirstEpoch()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 60, seed: 2);
        var epochs = 0;
        var trainer = ml.MulticlassClassification.Trainers.FeedForward(UnstructuredPruningTests.Options()).WithProgress(new Progress<EpochRecord>(_ => epochs++));

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.WithPruning(new PruningOptions { Weights = ["9.weight"] }).Fit(data));
        var bias = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.WithSparseTraining(new SparseTrainingOptions { Weights = ["1.bias"] }).Fit(data));

        Assert.AreEqual(0, epochs);
        StringAssert.Contains(missing.Message, "Option Weights names '9.weight', which is not a weight of the network; its prunable weights are 1.weight, 3.weight, 5.weight");
        StringAssert.Contains(bias.Message, "Option Weights names '1.bias' (shape [32]), which cannot be pruned");
    }

    [TestMethod]
    public void RemovingUnitsOfALayerThatHasNoneNamesTheLayerAndTheGroupsThereAre()
    {
        var network = Networks.Random([4], 2, new LinearLayer(4, 3), new ActivationLayer(ActivationKind.Relu), new LinearLayer(3, 2));
        var ml = new MLContext();

        var activation = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.PruneUnits(network, new StructuredPruningOptions { Layers = ["1"] }));
        var output = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.PruneUnits(network, new StructuredPruningOptions { Layers = ["2"] }));
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.PruneUnits(network, new StructuredPruningOptions { Layers = ["7"] }));
        var noNorm = Assert.ThrowsExactly<ArgumentException>(() => ml.Model.PruneUnits(network, new StructuredPruningOptions { Criterion = PruningCriterion.BatchNormScale, Layers = ["0"] }));

        StringAssert.Contains(activation.Message, "Option Layers names '1', but layer 1 (ActivationLayer) has no units that can be removed; the unit groups are '0' (Linear(4 -> 3) neurons)");
        StringAssert.Contains(output.Message, "layer 2 (LinearLayer) has no units that can be removed");
        StringAssert.Contains(missing.Message, "the network has no layer '7' (it has layers 0 to 2)");
        StringAssert.Contains(noNorm.Message, "Option Criterion is BatchNormScale, but unit group '0' (Linear(4 -> 3) neurons) has no batch normalization after it");
    }

    [TestMethod]
    public void ATeacherWhoseClassesDifferFromTheLabelsFailsBeforeTraining()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Blobs(ml, 90, seed: 2);
        var twoClasses = ml.Transforms.CustomMapping<KeyRow, TwoClassRow>((row, output) => output.Label = row.Label == 1 ? 1u : 2u, null).Fit(data).Transform(data);
        var twoClassTeacher = ml.MulticlassClassification.Trainers.LightGbm(numberOfIterations: 5).Fit(twoClasses);
        var reversedKeys = ml.Data.LoadFromEnumerable(new[] { "c", "b", "a" }.Select(v => new TextRow { Value = v }));
        var reordered = ml.Transforms.Conversion.MapKeyToValue("Label")
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", keyData: reversedKeys)).Fit(data).Transform(data);
        var reorderedTeacher = ml.MulticlassClassification.Trainers.LightGbm(numberOfIterations: 5).Fit(reordered);
        var epochs = 0;
        var student = ml.MulticlassClassification.Trainers.FeedForward(UnstructuredPruningTests.Options()).WithProgress(new Progress<EpochRecord>(_ => epochs++));

        var size = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.Distill(student, twoClassTeacher).Fit(data));
        var column = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.Distill(student, twoClassTeacher, new DistillationOptions { TeacherScoreColumnName = "Scores" }).Fit(data));
        var task = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.Distill(ml.Regression.Trainers.FeedForward(), twoClassTeacher));

        Assert.AreEqual(0, epochs);
        StringAssert.Contains(size.Message, "The teacher's column 'Score' holds 2 values per row, but label 'Label' has 3 classes");
        StringAssert.Contains(column.Message, "Option TeacherScoreColumnName names 'Scores', but the teacher's output has no such column");
        StringAssert.Contains(task.Message, "The student trains for regression, but this Distill is in the multiclass catalog");
        var order = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.Distill(student, reorderedTeacher).Fit(data));
        StringAssert.Contains(order.Message, "The teacher's column 'Score' scores the classes [c, b, a] but label 'Label' orders them [a, b, c]");
    }

    private sealed class KeyRow
    {
        [Microsoft.ML.Data.KeyType(3)]
        public uint Label { get; set; }
    }

    private sealed class TextRow
    {
        public string Value { get; set; } = "";
    }

    private sealed class TwoClassRow
    {
        [Microsoft.ML.Data.KeyType(2)]
        public uint Label { get; set; }
    }
}
