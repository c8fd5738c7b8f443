using System.Text.Json;
using Microsoft.ML;
using static MlNetDeep.Tests.Evaluators.ReferenceData;

namespace MlNetDeep.Tests.Evaluators;

/// <summary>The classification reports equal scikit-learn's metrics on the same scored rows (Data/make_reference.py).</summary>
[TestClass]
public sealed class ClassificationReportTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly Lazy<ClassificationReport> Multiclass = new(() => Ml.MulticlassClassification.EvaluateReport(MulticlassScored(Ml)));
    private static readonly Lazy<BinaryClassificationReport> BinaryReport = new(() => Ml.BinaryClassification.EvaluateReport(BinaryScored(Ml)));

    private static JsonElement MulticlassExpected => ClassificationReference.GetProperty("expected");

    private static JsonElement BinaryExpected => BinaryReference.GetProperty("expected");

    [TestMethod]
    public void PerClassPrecisionRecallF1AndSupportEqualScikitLearn()
    {
        foreach (var (report, expected, name) in new[] { (Multiclass.Value, MulticlassExpected, "multiclass"), (BinaryReport.Value, BinaryExpected, "binary") })
        {
            AssertAllClose(Doubles(expected.GetProperty("precision")), report.PerClass.Select(c => c.Precision).ToArray(), $"{name} precision");
            AssertAllClose(Doubles(expected.GetProperty("recall")), report.PerClass.Select(c => c.Recall).ToArray(), $"{name} recall");
            AssertAllClose(Doubles(expected.GetProperty("f1")), report.PerClass.Select(c => c.F1Score).ToArray(), $"{name} F1");
            CollectionAssert.AreEqual(Ints(expected.GetProperty("support")).Select(s => (long)s).ToArray(), report.PerClass.Select(c => c.Support).ToArray(), $"{name} support");
        }
    }

    [TestMethod]
    public void MacroMicroAndWeightedAveragesEqualScikitLearn()
    {
        foreach (var (report, expected, name) in new[] { (Multiclass.Value, MulticlassExpected, "multiclass"), (BinaryReport.Value, BinaryExpected, "binary") })
        {
            var macro = expected.GetProperty("macro");
            AssertClose(macro.GetProperty("precision").GetDouble(), report.MacroPrecision, $"{name} macro precision");
            AssertClose(macro.GetProperty("recall").GetDouble(), report.MacroRecall, $"{name} macro recall");
            AssertClose(macro.GetProperty("f1").GetDouble(), report.MacroF1, $"{name} macro F1");
            var weighted = expected.GetProperty("weighted");
            AssertClose(weighted.GetProperty("precision").GetDouble(), report.WeightedPrecision, $"{name} weighted precision");
            AssertClose(weighted.GetProperty("recall").GetDouble(), report.WeightedRecall, $"{name} weighted recall");
            AssertClose(weighted.GetProperty("f1").GetDouble(), report.WeightedF1, $"{name} weighted F1");
            AssertClose(expected.GetProperty("micro").GetProperty("f1").GetDouble(), report.MicroF1, $"{name} micro F1");
            AssertClose(expected.GetProperty("accuracy").GetDouble(), report.Accuracy, $"{name} accuracy");
        }
    }

    [TestMethod]
    public void AClassThatNeverOccursCountsAsZeroInTheMacroAverage()
    {
        var absent = Multiclass.Value.PerClass[^1];
        Assert.AreEqual(0, absent.Support);
        Assert.AreEqual(0, absent.Recall);
        Assert.AreEqual(0, absent.F1Score);
        Assert.IsGreaterThan(0, Multiclass.Value.ConfusionMatrix.Sum(row => row[^1]), "the reference data predicts the absent class sometimes");
    }

    [TestMethod]
    public void TopKAccuracyEqualsScikitLearnForEveryK()
    {
        AssertAllClose(Doubles(MulticlassExpected.GetProperty("top_k_accuracy")), Multiclass.Value.TopKAccuracy, "top-k accuracy");
        Assert.AreEqual(Multiclass.Value.TopKAccuracy[2], Multiclass.Value.TopK(3));
    }

    [TestMethod]
    public void ConfusionMatrixEqualsScikitLearn()
    {
        foreach (var (report, expected, name) in new[] { (Multiclass.Value, MulticlassExpected, "multiclass"), (BinaryReport.Value, BinaryExpected, "binary") })
        {
            var matrix = expected.GetProperty("confusion_matrix").EnumerateArray().Select(row => Ints(row).Select(v => (long)v).ToArray()).ToArray();
            Assert.HasCount(matrix.Length, report.ConfusionMatrix, name);
            for (var i = 0; i < matrix.Length; i++)
                CollectionAssert.AreEqual(matrix[i], report.ConfusionMatrix[i].ToArray(), $"{name} row {i}");
        }
    }

    [TestMethod]
    public void CalibrationEqualsScikitLearnsReliabilityCurve()
    {
        foreach (var (calibration, expected, name) in new[] { (Multiclass.Value.Calibration, MulticlassExpected, "top-label"), (BinaryReport.Value.Calibration, BinaryExpected, "positive class") })
        {
            Assert.IsNotNull(calibration, name);
            var reference = expected.GetProperty("calibration");
            CollectionAssert.AreEqual(Ints(reference.GetProperty("counts")).Select(c => (long)c).ToArray(), calibration.Bins.Select(b => b.Count).ToArray(), $"{name} bin counts");
            var nonEmpty = calibration.Bins.Where(b => b.Count > 0).ToArray();
            AssertAllClose(Doubles(reference.GetProperty("observed_frequency")), nonEmpty.Select(b => b.ObservedFrequency!.Value).ToArray(), $"{name} observed frequency");
            AssertAllClose(Doubles(reference.GetProperty("mean_predicted_probability")), nonEmpty.Select(b => b.MeanPredictedProbability!.Value).ToArray(), $"{name} mean probability");
            AssertClose(reference.GetProperty("expected_calibration_error").GetDouble(), calibration.ExpectedCalibrationError, $"{name} ECE");
            AssertClose(reference.GetProperty("maximum_calibration_error").GetDouble(), calibration.MaximumCalibrationError, $"{name} MCE");
            Assert.IsTrue(calibration.Bins.Where(b => b.Count == 0).All(b => b.ObservedFrequency is null && b.MeanPredictedProbability is null), $"{name}: empty bins have no values");
        }
    }

    [TestMethod]
    public void AreaUnderRocCurveAndAveragePrecisionEqualScikitLearn()
    {
        AssertClose(BinaryExpected.GetProperty("area_under_roc_curve").GetDouble(), BinaryReport.Value.AreaUnderRocCurve, "AUC");
        AssertClose(BinaryExpected.GetProperty("average_precision").GetDouble(), BinaryReport.Value.AveragePrecision, "average precision");
    }

    [TestMethod]
    public void PrecisionRecallCurveEqualsScikitLearnWithTiedScoresAsOneThreshold()
    {
        var expected = BinaryExpected.GetProperty("precision_recall_curve");
        var thresholds = Doubles(expected.GetProperty("threshold"));
        // scikit-learn stops at the first threshold reaching full recall; the report goes on to the lowest score.
        var curve = BinaryReport.Value.PrecisionRecallCurve.Take(thresholds.Length).ToArray();
        Assert.IsLessThan(500, BinaryReport.Value.PrecisionRecallCurve.Count, "tied scores share a point");
        AssertAllClose(thresholds, curve.Select(p => p.Threshold).ToArray(), "thresholds");
        AssertAllClose(Doubles(expected.GetProperty("precision")), curve.Select(p => p.Precision).ToArray(), "precision");
        AssertAllClose(Doubles(expected.GetProperty("recall")), curve.Select(p => p.Recall).ToArray(), "recall");
    }

    [TestMethod]
    public void RocCurveEqualsScikitLearn()
    {
        var expected = BinaryExpected.GetProperty("roc_curve");
        var curve = BinaryReport.Value.RocCurve;
        Assert.AreEqual(new RocPoint(double.PositiveInfinity, 0, 0), curve[0]);
        AssertAllClose(Doubles(expected.GetProperty("threshold")), curve.Skip(1).Select(p => p.Threshold).ToArray(), "thresholds");
        AssertAllClose(Doubles(expected.GetProperty("false_positive_rate")), curve.Select(p => p.FalsePositiveRate).ToArray(), "false positive rate");
        AssertAllClose(Doubles(expected.GetProperty("true_positive_rate")), curve.Select(p => p.TruePositiveRate).ToArray(), "true positive rate");
    }

    [TestMethod]
    public void ClassLabelsComeFromTheLabelsKeyValues()
    {
        var data = Ml.Data.LoadFromEnumerable(TestData.Blobs(90, 3));
        var model = Ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(Ml.MulticlassClassification.Trainers.SdcaMaximumEntropy())
            .Fit(data);
        var report = Ml.MulticlassClassification.EvaluateReport(model.Transform(data));
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, report.ClassLabels.ToArray());
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, report.PerClass.Select(c => c.Label).ToArray());
    }

    [TestMethod]
    public void OnMlNetsMulticlassTrainerTheReportAgreesWithMlNetsEvaluate()
    {
        var train = Ml.Data.LoadFromEnumerable(TestData.Blobs(300, 1, spread: 2.5));
        var test = Ml.Data.LoadFromEnumerable(TestData.Blobs(300, 2, spread: 2.5));
        var model = Ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(Ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 5))
            .Fit(train);
        var scored = model.Transform(test);
        var mlNet = Ml.MulticlassClassification.Evaluate(scored, topKPredictionCount: 2);
        var report = Ml.MulticlassClassification.EvaluateReport(scored);

        Assert.IsLessThan(1.0, report.Accuracy, "the blobs overlap enough for errors");
        AssertClose(mlNet.MicroAccuracy, report.Accuracy, "accuracy");
        AssertClose(mlNet.MacroAccuracy, report.MacroRecall, "macro recall (ML.NET's macro accuracy)");
        AssertClose(mlNet.TopKAccuracy, report.TopK(2), "top-2 accuracy");
        AssertAllClose(mlNet.ConfusionMatrix.PerClassPrecision, report.PerClass.Select(c => c.Precision).ToArray(), "per-class precision");
        AssertAllClose(mlNet.ConfusionMatrix.PerClassRecall, report.PerClass.Select(c => c.Recall).ToArray(), "per-class recall");
        for (var i = 0; i < report.ClassLabels.Count; i++)
            CollectionAssert.AreEqual(mlNet.ConfusionMatrix.Counts[i].Select(c => (long)c).ToArray(), report.ConfusionMatrix[i].ToArray(), $"confusion row {i}");
        Assert.IsNotNull(report.Calibration, "SdcaMaximumEntropy scores are probabilities");
    }

    [TestMethod]
    public void OnMlNetsBinaryTrainerTheReportAgreesWithMlNetsEvaluate()
    {
        var train = Ml.Data.LoadFromEnumerable(TestData.Linear(400, 1));
        var test = Ml.Data.LoadFromEnumerable(TestData.Linear(400, 2).Select(e => new BinaryExample { Label = e.Label ^ (e.Features[0] > 0.8f), Features = e.Features }));
        var scored = Ml.BinaryClassification.Trainers.LbfgsLogisticRegression().Fit(train).Transform(test);
        var mlNet = Ml.BinaryClassification.Evaluate(scored);
        var report = Ml.BinaryClassification.EvaluateReport(scored);

        AssertClose(mlNet.Accuracy, report.Accuracy, "accuracy");
        AssertClose(mlNet.AreaUnderRocCurve, report.AreaUnderRocCurve, "AUC");
        AssertClose(mlNet.F1Score, report.PerClass[1].F1Score, "positive-class F1");
        AssertClose(mlNet.PositivePrecision, report.PerClass[1].Precision, "positive precision");
        AssertClose(mlNet.PositiveRecall, report.PerClass[1].Recall, "positive recall");
        AssertClose(mlNet.NegativePrecision, report.PerClass[0].Precision, "negative precision");
        AssertClose(mlNet.NegativeRecall, report.PerClass[0].Recall, "negative recall");
        Assert.IsNotNull(report.Calibration, "logistic regression has a Probability column");
    }

    [TestMethod]
    public void OnMlNetDeepsTrainerWithMappedPredictedLabelTheReportAgreesWithMlNetsEvaluate()
    {
        var train = Ml.Data.LoadFromEnumerable(TestData.Blobs(240, 1, spread: 2.5));
        var test = Ml.Data.LoadFromEnumerable(TestData.Blobs(150, 2, spread: 2.5));
        var model = Ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(Ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 3, HiddenLayerSizes = [8], Seed = 1, NumberOfThreads = 1 }))
            .Append(Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);
        using var disposeModel = model as IDisposable;
        var scored = model.Transform(test);
        var mlNet = Ml.MulticlassClassification.Evaluate(scored);
        var report = Ml.MulticlassClassification.EvaluateReport(scored);

        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, report.ClassLabels.ToArray());
        AssertClose(mlNet.MicroAccuracy, report.Accuracy, "accuracy");
        AssertAllClose(mlNet.ConfusionMatrix.PerClassPrecision, report.PerClass.Select(c => c.Precision).ToArray(), "per-class precision");
        Assert.IsNotNull(report.Calibration, "the network's scores are probabilities");
    }

    [TestMethod]
    public void RowsWithAMissingKeyAreCountedAndSkipped()
    {
        var data = ScoredRows.WithTextLabels(Ml, ["a", "b"],
            new TextLabelScores { Label = "a", Score = [0.9f, 0.1f] },
            new TextLabelScores { Label = "unseen", Score = [0.9f, 0.1f] },
            new TextLabelScores { Label = "b", Score = [0.9f, 0.1f] });
        var report = Ml.MulticlassClassification.EvaluateReport(data);
        Assert.AreEqual(2, report.RowCount);
        Assert.AreEqual(1, report.UnlabeledRowCount);
        Assert.AreEqual(0.5, report.Accuracy);
    }

    [TestMethod]
    public void ScoresThatAreNotProbabilitiesGiveNoCalibration()
    {
        var rows = new[]
        {
            new MulticlassScoredRow { Label = 0, Score = [2.5f, -1, 0, 0, 0, 0] },
            new MulticlassScoredRow { Label = 1, Score = [0.2f, 0.7f, 0, 0, 0, 0] },
        };
        var report = Ml.MulticlassClassification.EvaluateReport(Ml.Data.LoadFromEnumerable(rows));
        Assert.IsNull(report.Calibration);
        Assert.AreEqual(1.0, report.Accuracy);
    }

    [TestMethod]
    public void TiedScoresRankTheLowerClassFirstInTopKAsInThePrediction()
    {
        float[] tied = [0.4f, 0.4f, 0.2f, 0, 0, 0];
        var rows = new[] { new MulticlassScoredRow { Label = 0, Score = tied }, new MulticlassScoredRow { Label = 1, Score = tied } };
        var report = Ml.MulticlassClassification.EvaluateReport(Ml.Data.LoadFromEnumerable(rows));
        Assert.AreEqual(0.5, report.TopK(1), "class 0 wins the tie, for the prediction and for the ranking");
        Assert.AreEqual(1, report.ConfusionMatrix[0][0]);
        Assert.AreEqual(1, report.ConfusionMatrix[1][0]);
        Assert.AreEqual(1.0, report.TopK(2));
    }
}
