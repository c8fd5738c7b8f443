using Microsoft.ML;
using static MlNetDeep.Tests.Evaluators.ReferenceData;

namespace MlNetDeep.Tests.Evaluators;

/// <summary>
/// Scored data of Microsoft.ML.TorchSharp's text classification, named entity recognition and object detection
/// trainers, in their exact schemas (<see cref="TorchSharpScoredData"/>), goes into MlNetDeep's evaluators unchanged:
/// the reports equal scikit-learn's on the same tags (Data/make_reference.py) and hand-worked detection AP.
/// </summary>
[TestClass]
public sealed class TorchSharpOutputTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly string[] Animals = ["cat", "dog"];

    private static IDataView TextClassificationScored()
    {
        var inputs = TextClassificationReference.GetProperty("inputs");
        var labels = Ints(inputs.GetProperty("labels"));
        var logits = inputs.GetProperty("scores").EnumerateArray().Select(Floats).ToArray();
        var classes = inputs.GetProperty("key_values").EnumerateArray().Select(e => e.GetString()!).ToArray();
        return TorchSharpScoredData.TextClassification(Ml, classes, labels.Select((label, i) => ((uint)label, logits[i])).ToArray());
    }

    private static IDataView NerScored()
    {
        var inputs = TokenClassificationReference.GetProperty("inputs");
        var classes = inputs.GetProperty("key_values").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var labels = inputs.GetProperty("labels").EnumerateArray().Select(Ints).ToArray();
        var predicted = inputs.GetProperty("predicted").EnumerateArray().Select(Ints).ToArray();
        return TorchSharpScoredData.NamedEntityRecognition(Ml, classes,
            labels.Select((tags, i) => (tags.Select(t => (uint)t).ToArray(), predicted[i].Select(t => (uint)t).ToArray())).ToArray());
    }

    private static void AssertPerClass(System.Text.Json.JsonElement expected, ClassificationReport report)
    {
        AssertAllClose(Doubles(expected.GetProperty("precision")), report.PerClass.Select(c => c.Precision).ToArray(), "precision");
        AssertAllClose(Doubles(expected.GetProperty("recall")), report.PerClass.Select(c => c.Recall).ToArray(), "recall");
        AssertAllClose(Doubles(expected.GetProperty("f1")), report.PerClass.Select(c => c.F1Score).ToArray(), "F1");
        CollectionAssert.AreEqual(Ints(expected.GetProperty("support")).Select(s => (long)s).ToArray(), report.PerClass.Select(c => c.Support).ToArray());
        AssertClose(expected.GetProperty("macro").GetProperty("f1").GetDouble(), report.MacroF1, "macro F1");
        AssertClose(expected.GetProperty("weighted").GetProperty("f1").GetDouble(), report.WeightedF1, "weighted F1");
        AssertClose(expected.GetProperty("accuracy").GetDouble(), report.Accuracy, "accuracy");
        var confusion = expected.GetProperty("confusion_matrix").EnumerateArray().Select(row => Ints(row).Select(v => (long)v).ToArray()).ToArray();
        for (var i = 0; i < confusion.Length; i++)
            CollectionAssert.AreEqual(confusion[i], report.ConfusionMatrix[i].ToArray(), $"confusion row {i}");
    }

    [TestMethod]
    public void TextClassificationOutputGivesScikitLearnsReport()
    {
        var expected = TextClassificationReference.GetProperty("expected");
        var report = Ml.MulticlassClassification.EvaluateReport(TextClassificationScored());

        CollectionAssert.AreEqual(new[] { "negative", "neutral", "positive" }, report.ClassLabels.ToArray());
        AssertPerClass(expected, report);
        AssertAllClose(Doubles(expected.GetProperty("top_k_accuracy")), report.TopKAccuracy, "top-k accuracy");
        Assert.IsNull(report.Calibration, "the trainer's scores are logits, not probabilities");
    }

    [TestMethod]
    public void NerOutputGivesScikitLearnsTokenReportWithTheOutsideTagLeftOutOfTheEntityAverages()
    {
        var expected = TokenClassificationReference.GetProperty("expected");
        var report = Ml.MulticlassClassification.EvaluateTokenReport(NerScored(), outsideClassName: "O");

        CollectionAssert.AreEqual(expected.GetProperty("class_labels").EnumerateArray().Select(e => e.GetString()).ToArray(), report.ClassLabels.ToArray());
        AssertPerClass(expected, report);
        var micro = expected.GetProperty("entity_micro");
        AssertClose(micro.GetProperty("precision").GetDouble(), report.EntityMicroPrecision, "entity micro precision");
        AssertClose(micro.GetProperty("recall").GetDouble(), report.EntityMicroRecall, "entity micro recall");
        AssertClose(micro.GetProperty("f1").GetDouble(), report.EntityMicroF1, "entity micro F1");
        AssertClose(expected.GetProperty("entity_macro_f1").GetDouble(), report.EntityMacroF1, "entity macro F1");
        Assert.AreEqual(60, report.SequenceCount);
        Assert.AreEqual(Ints(expected.GetProperty("support")).Sum(), report.RowCount, "one row per token");
        Assert.HasCount(1, report.TopKAccuracy, "no scores, so top-1 only");
    }

    [TestMethod]
    public void NerPredictionsMappedBackToTextGiveTheSameTokenReport()
    {
        var scored = NerScored();
        var asText = Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored);

        var fromKeys = Ml.MulticlassClassification.EvaluateTokenReport(scored, outsideClassName: "O");
        var fromText = Ml.MulticlassClassification.EvaluateTokenReport(asText, outsideClassName: "O");

        CollectionAssert.AreEqual(fromKeys.ClassLabels.ToArray(), fromText.ClassLabels.ToArray());
        CollectionAssert.AreEqual(fromKeys.ConfusionMatrix.SelectMany(r => r).ToArray(), fromText.ConfusionMatrix.SelectMany(r => r).ToArray());
    }

    [TestMethod]
    public void WithoutAnOutsideClassMissingKeysFormAClassOfTheirOwnAndEveryClassIsAnEntity()
    {
        var report = Ml.MulticlassClassification.EvaluateTokenReport(NerScored());

        Assert.AreEqual(ClassificationEvaluation.MissingKeyClassName, report.ClassLabels[^1]);
        Assert.IsNull(report.OutsideClass);
        AssertClose(report.Accuracy, report.EntityMicroF1, "micro F1 over every class is the accuracy");
        AssertClose(report.MacroF1, report.EntityMacroF1, "macro F1 over every class");
    }

    [TestMethod]
    public void TheHtmlReportShowsSentencesTokensAndEntityAverages()
    {
        var report = Ml.MulticlassClassification.EvaluateTokenReport(NerScored(), outsideClassName: "O");

        var html = new EvaluationReport("NER").AddClassification(report).ToHtml();

        StringAssert.Contains(html, $"<td>sentences (rows)</td><td>60</td></tr>\n<tr><td>tokens</td><td>{report.RowCount:N0}</td>");
        StringAssert.Contains(html, $"<td>entity classes (all but O): micro F1</td><td>{report.EntityMicroF1:0.0000}</td>");
    }

    [TestMethod]
    public void TagVectorsOfDifferentLengthsAreAnErrorNamingBothColumnsAndTheRow()
    {
        var scored = TorchSharpScoredData.NamedEntityRecognition(Ml, ["PER"], [([1, 0], [1, 0]), ([1, 0, 0], [1, 0])]);

        var error = Assert.ThrowsExactly<ArgumentException>(() => Ml.MulticlassClassification.EvaluateTokenReport(scored));

        Assert.AreEqual("Row 1 has 3 tags in label column 'Label' but 2 in predicted label column 'PredictedLabel'; every token needs one of each. (Parameter 'data')", error.Message);
    }

    [TestMethod]
    public void ATokenReportOnAScalarLabelIsAnErrorNamingTheColumn()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.EvaluateTokenReport(TextClassificationScored()));

        Assert.AreEqual("labelColumnName", error.ParamName);
        StringAssert.StartsWith(error.Message, "Label column 'Label' has type Key<UInt32, 0-2>; it needs a vector of keys");
    }

    /// <summary>
    /// Image 1: a cat found exactly (0.9) and a dog found with IoU 20 · 14.4 / 400 = 0.72 (0.8). Image 2: a cat missed,
    /// a cat detection on nothing (0.7) and a dog detection where no dog is (0.6).
    /// </summary>
    private static IDataView TwoImages() => TorchSharpScoredData.ObjectDetection(Ml, Animals,
    [
        new() { Label = [1, 2], BoundingBoxes = [0, 0, 10, 10, 20, 20, 40, 40], PredictedLabel = [1, 2], PredictedBoundingBoxes = [0, 0, 10, 10, 20, 20, 40, 34.4f], Score = [0.9f, 0.8f] },
        new() { Label = [1], BoundingBoxes = [5, 5, 15, 15], PredictedLabel = [1, 2], PredictedBoundingBoxes = [50, 50, 60, 60, 0, 0, 10, 10], Score = [0.7f, 0.6f] },
    ]);

    [TestMethod]
    public void ObjectDetectionOutputGivesTheHandWorkedAveragePrecision()
    {
        // Cat: 2 objects; ranked TP (0.9), FP (0.7) at every IoU: recall 1/2 with precision 1, then precision 1/2.
        //   COCO: recall points 0 … 0.50 (51 of 101) read 1: 51/101 at every threshold. VOC: 1/2 · 1 = 1/2.
        // Dog: 1 object; ranked TP (0.8) at IoU 0.50 … 0.70, FP (0.6): AP 1 there; at 0.75 … 0.95 both FP: AP 0.
        var metrics = Ml.MulticlassClassification.EvaluateDetection(TwoImages());

        CollectionAssert.AreEqual(Animals, metrics.PerClass.Select(c => c.Label).ToArray());
        var (cat, dog) = (metrics.PerClass[0], metrics.PerClass[1]);
        Assert.AreEqual((2, 2), (cat.GroundTruthCount, cat.DetectionCount));
        Assert.AreEqual((1, 2), (dog.GroundTruthCount, dog.DetectionCount));
        Assert.IsTrue(cat.AveragePrecisionByIou!.All(ap => Math.Abs(ap - 51.0 / 101) < 1e-12));
        CollectionAssert.AreEqual(new[] { 1.0, 1, 1, 1, 1, 0, 0, 0, 0, 0 }, dog.AveragePrecisionByIou!.ToArray());
        Assert.AreEqual((51.0 / 101 + 0.5) / 2, metrics.MeanAveragePrecision, 1e-12);
        Assert.AreEqual((51.0 / 101 + 1) / 2, metrics.MeanAveragePrecision50, 1e-12);
        Assert.AreEqual(51.0 / 101 / 2, metrics.MeanAveragePrecision75, 1e-12);
        Assert.AreEqual((0.5 + 1) / 2, metrics.MeanAveragePrecisionVoc, 1e-12);
    }

    [TestMethod]
    public void DetectedClassesMappedBackToTextAreMatchedByName()
    {
        var scored = TwoImages();
        var asText = Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored);

        var metrics = Ml.MulticlassClassification.EvaluateDetection(asText);

        Assert.AreEqual((51.0 / 101 + 0.5) / 2, metrics.MeanAveragePrecision, 1e-12);
        CollectionAssert.AreEqual(Animals, metrics.PerClass.Select(c => c.Label).ToArray());
    }

    [TestMethod]
    public void DetectionDataSavedAsBinaryAndLoadedAgainEvaluatesTheSame()
    {
        // What a user does when ML.NET's TorchSharp model cannot run beside MlNetDeep: score elsewhere, save, evaluate here.
        var path = Path.Combine(Path.GetTempPath(), $"mlnetdeep-detection-{Guid.NewGuid():N}.idv");
        try
        {
            using (var file = File.Create(path))
                Ml.Data.SaveAsBinary(TwoImages(), file);

            var metrics = Ml.MulticlassClassification.EvaluateDetection(Ml.Data.LoadFromBinary(path));

            Assert.AreEqual((51.0 / 101 + 0.5) / 2, metrics.MeanAveragePrecision, 1e-12);
            CollectionAssert.AreEqual(Animals, metrics.PerClass.Select(c => c.Label).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void TheHtmlReportNamesDetectionClasses()
    {
        var html = new EvaluationReport("Detection").AddDetection(Ml.MulticlassClassification.EvaluateDetection(TwoImages())).ToHtml();

        StringAssert.Contains(html, "<td>cat</td><td>2</td><td>2</td>");
    }

    [TestMethod]
    [DataRow(new float[] { 0, 0, 10 }, new float[] { 0.9f }, "Bounding box column 'BoundingBoxes' holds 3 values in row 0, not a multiple of 4 (x0, y0, x1, y1 per box).")]
    [DataRow(new float[] { 0, 0, 10, 10, 1, 1, 2, 2 }, new float[] { 0.9f }, "Bounding box column 'BoundingBoxes' holds 2 boxes in row 0 but column 'Label' holds 1 classes; each box needs one class.")]
    [DataRow(new float[] { 10, 0, 0, 10 }, new float[] { 0.9f }, "Bounding box column 'BoundingBoxes' holds box 0 of row 0 as (10, 0, 0, 10); corners go x0, y0, x1, y1 with x1 ≥ x0 and y1 ≥ y0.")]
    [DataRow(new float[] { 0, 0, 10, 10 }, new float[] { 0.9f, 0.5f }, "Row 0 has 1 detections in predicted label column 'PredictedLabel' but 2 scores in score column 'Score'; each detection needs one score.")]
    [DataRow(new float[] { 0, 0, 10, 10 }, new float[] { float.NaN }, "Score column 'Score' holds NaN in row 0, detection 0; scores must be finite.")]
    public void BadDetectionRowsAreErrorsNamingTheColumnAndRow(float[] groundTruthBoxes, float[] scores, string message)
    {
        var scored = TorchSharpScoredData.ObjectDetection(Ml, Animals,
            [new() { Label = [1], BoundingBoxes = groundTruthBoxes, PredictedLabel = [1], PredictedBoundingBoxes = [0, 0, 10, 10], Score = scores }]);

        var error = Assert.ThrowsExactly<ArgumentException>(() => Ml.MulticlassClassification.EvaluateDetection(scored));

        Assert.AreEqual(message + " (Parameter 'data')", error.Message);
    }

    [TestMethod]
    public void AMissingDetectionColumnIsAnErrorNamingIt()
    {
        var scored = Ml.Transforms.DropColumns("PredictedBoundingBoxes").Fit(TwoImages()).Transform(TwoImages());

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.EvaluateDetection(scored));

        Assert.AreEqual("predictedBoundingBoxColumnName", error.ParamName);
        StringAssert.StartsWith(error.Message, "Predicted bounding box column 'PredictedBoundingBoxes' is not in the data.");
    }

    [TestMethod]
    public void ADetectionScoreOfTheWrongTypeIsAnErrorNamingTheColumn()
    {
        var scored = Ml.Transforms.Conversion.ConvertType("Score", outputKind: Microsoft.ML.Data.DataKind.Double).Fit(TwoImages()).Transform(TwoImages());

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.EvaluateDetection(scored));

        Assert.AreEqual("scoreColumnName", error.ParamName);
        StringAssert.StartsWith(error.Message, "Score column 'Score' has type Vector<Double>; it needs a vector of Single.");
    }
}
