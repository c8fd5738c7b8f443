using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests.Evaluators;

/// <summary>
/// Plots are PNG files that ML.NET's ImageAnalytics reads back in the same process (ScottPlot and ImageAnalytics share
/// SkiaSharp 3.119), and the HTML report embeds them with the tables.
/// </summary>
[TestClass]
public sealed partial class EvaluationReportTests
{
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly EpochRecord[] History = Enumerable.Range(1, 6).Select(epoch => new EpochRecord
    {
        Epoch = epoch, TrainLoss = 1.0 / epoch, ValidationLoss = 1.2 / epoch + 0.05, ValidationMetric = 0.6 + 0.05 * epoch,
        MetricName = "accuracy", LearningRate = 1e-3, Seconds = 2.5, DataSeconds = 0.1,
    }).ToArray();

    private static ClassificationReport Multiclass() => Ml.MulticlassClassification.EvaluateReport(ReferenceData.MulticlassScored(Ml));

    private static BinaryClassificationReport Binary() => Ml.BinaryClassification.EvaluateReport(ReferenceData.BinaryScored(Ml));

    [TestMethod]
    public void EveryPlotIsAPngThatImageAnalyticsLoadsInTheSameProcess()
    {
        var binary = Binary();
        var plots = new Dictionary<string, byte[]>
        {
            ["training"] = EvaluationPlots.TrainingCurves(History),
            ["confusion"] = EvaluationPlots.ConfusionMatrix(Multiclass()),
            ["reliability"] = EvaluationPlots.ReliabilityDiagram(binary.Calibration!),
            ["precision-recall"] = EvaluationPlots.PrecisionRecallCurve(binary),
            ["roc"] = EvaluationPlots.RocCurve(binary),
        };
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-plots-");
        try
        {
            var files = plots.Select(p =>
            {
                CollectionAssert.AreEqual(PngSignature, p.Value.Take(8).ToArray(), $"{p.Key} is a PNG");
                var path = Path.Combine(folder.FullName, p.Key + ".png");
                File.WriteAllBytes(path, p.Value);
                return new ImageFile { Path = path };
            }).ToArray();
            var data = Ml.Data.LoadFromEnumerable(files);
            var pixels = Ml.Transforms.LoadImages("Image", folder.FullName, "Path")
                .Append(Ml.Transforms.ResizeImages("Small", 32, 32, "Image"))
                .Append(Ml.Transforms.ExtractPixels("Pixels", "Small"))
                .Fit(data).Transform(data).GetColumn<float[]>("Pixels").ToArray();
            Assert.HasCount(plots.Count, pixels);
            Assert.IsTrue(pixels.All(image => image.Average() > 200), "white backgrounds");
            foreach (var file in files)
            {
                using var image = MLImage.CreateFromFile(file.Path);
                Assert.IsTrue(image.Pixels.ToArray().Any(channel => channel < 100), $"{file.Path}: lines and text drawn");
            }
            // The confusion matrix of 6 classes is a square of at least 500 pixels plus the colour bar.
            var expectedSizes = new[] { (800, 500), (620, 500), (600, 600), (600, 600), (600, 600) };
            for (var i = 0; i < files.Length; i++)
            {
                using var image = MLImage.CreateFromFile(files[i].Path);
                Assert.AreEqual(expectedSizes[i], (image.Width, image.Height), files[i].Path);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void TheHtmlReportEmbedsEveryPlotAndTheTables()
    {
        var binary = Binary();
        var report = new EvaluationReport("Model <evaluation>")
            .AddTrainingHistory(History)
            .AddClassification(Multiclass(), "Multiclass")
            .AddClassification(binary, "Binary")
            .AddDetection(DetectionEvaluation.Evaluate([new DetectionImage([new GroundTruthBox(0, new BoundingBox(0, 0, 10, 10))], [new DetectedBox(0, 0.9, new BoundingBox(0, 0, 10, 10))])]))
            .AddValues("Generation", [KeyValuePair.Create("ResNet18 Fréchet distance", 12.5)]);
        var html = report.ToHtml();

        var images = EmbeddedPng().Matches(html).Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToArray();
        // Training curves; multiclass confusion matrix and reliability; binary confusion, reliability, PR and ROC.
        Assert.HasCount(7, images);
        CollectionAssert.AreEqual(report.Plots.Select(p => p.Png.Length).ToArray(), images.Select(i => i.Length).ToArray());
        StringAssert.Contains(html, "<h1>Model &lt;evaluation&gt;</h1>");
        StringAssert.Contains(html, $"<td>macro F1</td><td>{Multiclass().MacroF1:0.0000}</td>");
        StringAssert.Contains(html, $"<td>area under the ROC curve</td><td>{binary.AreaUnderRocCurve:0.0000}</td>");
        StringAssert.Contains(html, "<th>top-5</th>");
        StringAssert.Contains(html, "<td>ResNet18 Fréchet distance</td><td>12.5000</td>");
        StringAssert.Contains(html, "<td>1</td><td>1</td><td>1.0000</td>", "the detection table: ground truth, detections, AP");
    }

    [TestMethod]
    public void ClassLabelsAreHtmlEscaped()
    {
        var keyed = ScoredRows.WithTextLabels(Ml, ["<b>", "a&b"],
            new TextLabelScores { Label = "<b>", Score = [0.8f, 0.2f] }, new TextLabelScores { Label = "a&b", Score = [0.3f, 0.7f] });
        var html = new EvaluationReport("Escaping").AddClassification(Ml.MulticlassClassification.EvaluateReport(keyed)).ToHtml();
        StringAssert.Contains(html, "<td>&lt;b&gt;</td>");
        StringAssert.Contains(html, "<td>a&amp;b</td>");
        Assert.DoesNotContain("<b>", html);
    }

    [TestMethod]
    public void SaveHtmlAndSavePlotsWriteTheFiles()
    {
        var report = new EvaluationReport("Files").AddTrainingHistory(History).AddClassification(Binary());
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-report-");
        try
        {
            var htmlPath = Path.Combine(folder.FullName, "nested", "report.html");
            report.SaveHtml(htmlPath);
            Assert.AreEqual(report.ToHtml(), File.ReadAllText(htmlPath));
            var written = report.SavePlots(Path.Combine(folder.FullName, "plots"));
            CollectionAssert.AreEqual(
                new[] { "1-training-curves.png", "2-confusion-matrix.png", "2-reliability-diagram.png", "2-precision-recall-curve.png", "2-roc-curve.png" },
                written.Select(Path.GetFileName).ToArray());
            Assert.IsTrue(written.All(path => File.ReadAllBytes(path).Take(8).SequenceEqual(PngSignature)));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void PlotsLeaveScottPlotsProcessWideDefaultFontAsItWas()
    {
        var before = ScottPlot.Fonts.Default;

        EvaluationPlots.ConfusionMatrix(Multiclass());
        EvaluationPlots.TrainingCurves(History);

        Assert.AreEqual(before, ScottPlot.Fonts.Default);
    }

    [TestMethod]
    public void AnEmptyHistoryIsAClearError() =>
        Assert.AreEqual("history", Assert.ThrowsExactly<ArgumentException>(() => EvaluationPlots.TrainingCurves([])).ParamName);

    [GeneratedRegex("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")]
    private static partial Regex EmbeddedPng();

    internal sealed class ImageFile
    {
        public string Path { get; set; } = "";
    }
}
