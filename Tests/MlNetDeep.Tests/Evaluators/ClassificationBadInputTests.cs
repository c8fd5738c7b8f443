using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests.Evaluators;

/// <summary>Bad scored data fails with a message that names the column (and row) and the problem.</summary>
[TestClass]
public sealed class ClassificationBadInputTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static TException AssertFails<TException>(Action evaluate, params string[] messageParts) where TException : Exception
    {
        var error = Assert.ThrowsExactly<TException>(evaluate);
        foreach (var part in messageParts)
            StringAssert.Contains(error.Message, part);
        return error;
    }

    [TestMethod]
    public void AScoreVectorOfTheWrongLengthNamesBothColumns()
    {
        var data = Ml.Data.LoadFromEnumerable([new FourScores { Label = 1, Score = [0.1f, 0.2f, 0.3f, 0.4f] }]);
        var error = AssertFails<ArgumentException>(() => Ml.MulticlassClassification.EvaluateReport(data),
            "Score column 'Score' has 4 values per row", "label column 'Label' has 3 classes");
        Assert.AreEqual("scoreColumnName", error.ParamName);
    }

    [TestMethod]
    public void AVariableLengthScoreOfTheWrongLengthNamesTheRow()
    {
        var data = Ml.Data.LoadFromEnumerable(new[]
        {
            new VariableScores { Label = 1, Score = [0.5f, 0.3f, 0.2f] },
            new VariableScores { Label = 2, Score = [0.5f, 0.5f] },
        });
        AssertFails<ArgumentException>(() => Ml.MulticlassClassification.EvaluateReport(data), "Score column 'Score' has 2 values in row 1", "3 classes");
    }

    [TestMethod]
    public void ANaNScoreNamesTheColumnAndRow()
    {
        var data = Ml.Data.LoadFromEnumerable(new[]
        {
            new VariableScores { Label = 1, Score = [0.5f, 0.3f, 0.2f] },
            new VariableScores { Label = 2, Score = [0.5f, float.NaN, 0.2f] },
        });
        AssertFails<ArgumentException>(() => Ml.MulticlassClassification.EvaluateReport(data), "Score column 'Score' holds NaN in row 1");
    }

    [TestMethod]
    public void ALabelThatIsNoKeyIsRejected()
    {
        var data = Ml.Data.LoadFromEnumerable(TestData.Blobs(3, 1).Select(e => new TextLabelScores { Label = e.Label, Score = [1f, 0f, 0f] }));
        var error = AssertFails<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.EvaluateReport(data), "Label column 'Label'", "MapValueToKey");
        Assert.AreEqual("labelColumnName", error.ParamName);
    }

    [TestMethod]
    public void MissingColumnsAreNamed()
    {
        var data = Ml.Data.LoadFromEnumerable([new FourScores { Label = 1, Score = [0.1f, 0.2f, 0.3f, 0.4f] }]);
        Assert.AreEqual("labelColumnName", AssertFails<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.EvaluateReport(data, labelColumnName: "Class"), "Label column 'Class' is not in the data").ParamName);
        Assert.AreEqual("scoreColumnName", AssertFails<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.EvaluateReport(data, scoreColumnName: "Scores"), "Score column 'Scores' is not in the data").ParamName);
        var binary = Ml.Data.LoadFromEnumerable([new BinaryScoredRow { Label = true, Score = 1 }]);
        Assert.AreEqual("predictedLabelColumnName", AssertFails<ArgumentOutOfRangeException>(() => Ml.BinaryClassification.EvaluateReport(binary, predictedLabelColumnName: "Predicted"), "Predicted label column 'Predicted'").ParamName);
    }

    [TestMethod]
    public void EmptyDataIsAClearError()
    {
        var empty = Ml.Data.LoadFromEnumerable(Array.Empty<MulticlassScoredRow>());
        AssertFails<ArgumentException>(() => Ml.MulticlassClassification.EvaluateReport(empty), "no rows to evaluate");
        AssertFails<ArgumentException>(() => Ml.BinaryClassification.EvaluateReport(Ml.Data.LoadFromEnumerable(Array.Empty<BinaryScoredRow>())), "no rows to evaluate");
        var unlabeled = ScoredRows.WithTextLabels(Ml, ["a", "b"], new TextLabelScores { Label = "c", Score = [0.6f, 0.4f] });
        AssertFails<ArgumentException>(() => Ml.MulticlassClassification.EvaluateReport(unlabeled), "None of the 1 rows has a label in column 'Label'");
    }

    [TestMethod]
    public void ABinaryReportNeedsBothClasses() =>
        AssertFails<ArgumentException>(() => Ml.BinaryClassification.EvaluateReport(Ml.Data.LoadFromEnumerable(new[]
        {
            new BinaryScoredRow { Label = true, Score = 1, Probability = 0.7f, PredictedLabel = true },
            new BinaryScoredRow { Label = true, Score = -1, Probability = 0.3f, PredictedLabel = false },
        })), "Label column 'Label' has only positive rows");

    [TestMethod]
    public void AProbabilityOutsideZeroToOneNamesTheColumnAndRow() =>
        AssertFails<ArgumentException>(() => Ml.BinaryClassification.EvaluateReport(Ml.Data.LoadFromEnumerable(new[]
        {
            new BinaryScoredRow { Label = true, Score = 1, Probability = 0.7f, PredictedLabel = true },
            new BinaryScoredRow { Label = false, Score = 3, Probability = 3f, PredictedLabel = true },
        })), "Probability column 'Probability' holds 3 in row 1");

    internal sealed class FourScores
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType(4)]
        public float[] Score { get; set; } = [];
    }

    internal sealed class VariableScores
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType]
        public float[] Score { get; set; } = [];
    }
}
