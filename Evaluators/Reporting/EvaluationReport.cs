using System.Globalization;
using System.Text;

namespace MlNetDeep;

/// <summary>
/// A one-file HTML report of an evaluation: sections of tables and plots (PNG images embedded as data URIs), so the
/// file can be mailed or attached on its own. Add sections in the order they should appear, then
/// <see cref="SaveHtml"/>; <see cref="SavePlots"/> also writes each plot as a PNG file.
/// </summary>
public sealed class EvaluationReport
{
    private readonly List<Section> _sections = [];

    /// <summary>A report with a title (the page's heading).</summary>
    public EvaluationReport(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
    }

    /// <summary>The page's heading.</summary>
    public string Title { get; }

    /// <summary>Every plot added so far, with the file name <see cref="SavePlots"/> gives it.</summary>
    public IReadOnlyList<ReportPlot> Plots => _sections.SelectMany(s => s.Plots).ToArray();

    /// <summary>The training curves and a table of the epochs.</summary>
    /// <param name="history">The training history (<c>model.History</c>, or the records a <c>Progress</c> reporter received).</param>
    /// <param name="heading">The section's heading.</param>
    public EvaluationReport AddTrainingHistory(IReadOnlyList<EpochRecord> history, string heading = "Training")
    {
        var plot = EvaluationPlots.TrainingCurves(history);
        var metricName = history[0].MetricName;
        var html = new StringBuilder();
        Table(html, ["epoch", "train loss", "validation loss", $"validation {metricName}", "learning rate", "seconds"],
            history.Select(r => new[] { Integer(r.Epoch), Number(r.TrainLoss), Number(r.ValidationLoss), Number(r.ValidationMetric), r.LearningRate.ToString("G3", CultureInfo.InvariantCulture), r.Seconds.ToString("F1", CultureInfo.InvariantCulture) }));
        return Add(heading, html.ToString(), ("training-curves", "Training curves", plot));
    }

    /// <summary>
    /// A classification report: summary, per-class table, top-k accuracy, calibration table, and the confusion matrix,
    /// reliability diagram and (binary) precision-recall and ROC curve plots.
    /// </summary>
    /// <param name="report">From <c>EvaluateReport</c> on a classification catalog.</param>
    /// <param name="heading">The section's heading.</param>
    public EvaluationReport AddClassification(ClassificationReport report, string heading = "Classification")
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        var tokens = report as TokenClassificationReport;
        var summary = tokens is null
            ? new List<string[]> { new[] { "rows", Integer(report.RowCount) } }
            : [["sentences (rows)", Integer(tokens.SequenceCount)], ["tokens", Integer(tokens.RowCount)]];
        if (report.UnlabeledRowCount > 0)
            summary.Add(["rows without a label (skipped)", Integer(report.UnlabeledRowCount)]);
        summary.Add(["accuracy (= micro F1)", Number(report.Accuracy)]);
        summary.Add(["macro F1", Number(report.MacroF1)]);
        summary.Add(["weighted F1", Number(report.WeightedF1)]);
        if (tokens is not null)
        {
            var entities = tokens.OutsideClass is { } outside ? $"entity classes (all but {outside})" : "entity classes (all)";
            summary.Add([Text($"{entities}: micro F1"), Number(tokens.EntityMicroF1)]);
            summary.Add([Text($"{entities}: macro F1"), Number(tokens.EntityMacroF1)]);
        }
        if (report is BinaryClassificationReport binary)
        {
            summary.Add(["area under the ROC curve", Number(binary.AreaUnderRocCurve)]);
            summary.Add(["average precision", Number(binary.AveragePrecision)]);
        }
        if (report.Calibration is { } calibration)
            summary.Add(["expected calibration error", Number(calibration.ExpectedCalibrationError)]);
        Table(html, ["metric", "value"], summary);

        html.Append("<h3>Per class</h3>\n");
        var rows = report.PerClass.Select(c => new[] { Text(c.Label), Number(c.Precision), Number(c.Recall), Number(c.F1Score), Integer(c.Support) }).ToList();
        rows.Add(["<em>macro average</em>", Number(report.MacroPrecision), Number(report.MacroRecall), Number(report.MacroF1), Integer(report.RowCount)]);
        rows.Add(["<em>weighted average</em>", Number(report.WeightedPrecision), Number(report.WeightedRecall), Number(report.WeightedF1), Integer(report.RowCount)]);
        Table(html, ["class", "precision", "recall", "F1", "support"], rows);

        if (report.TopKAccuracy.Count > 2)
        {
            html.Append("<h3>Top-k accuracy</h3>\n");
            var ks = Enumerable.Range(1, Math.Min(5, report.TopKAccuracy.Count)).ToArray();
            Table(html, ks.Select(k => $"top-{k}").ToArray(), [ks.Select(k => Number(report.TopK(k))).ToArray()]);
        }

        var plots = new List<(string, string, byte[])> { ("confusion-matrix", "Confusion matrix", EvaluationPlots.ConfusionMatrix(report)) };
        if (report.Calibration is { } bins)
        {
            html.Append("<h3>Calibration</h3>\n");
            Table(html, ["bin", "rows", "mean predicted probability", "observed frequency"],
                bins.Bins.Select(b => new[] { $"({Number(b.Lower, "0.00")}, {Number(b.Upper, "0.00")}]", Integer(b.Count), Number(b.MeanPredictedProbability), Number(b.ObservedFrequency) }));
            plots.Add(("reliability-diagram", "Reliability diagram", EvaluationPlots.ReliabilityDiagram(bins)));
        }
        if (report is BinaryClassificationReport curves)
        {
            plots.Add(("precision-recall-curve", "Precision-recall curve", EvaluationPlots.PrecisionRecallCurve(curves)));
            plots.Add(("roc-curve", "ROC curve", EvaluationPlots.RocCurve(curves)));
        }
        return Add(heading, html.ToString(), [.. plots]);
    }

    /// <summary>Detection metrics: the mean APs and a per-class AP table.</summary>
    /// <param name="metrics">From <see cref="DetectionEvaluation.Evaluate(IReadOnlyList{DetectionImage}, int)"/> or <c>ml.MulticlassClassification.EvaluateDetection</c>.</param>
    /// <param name="heading">The section's heading.</param>
    public EvaluationReport AddDetection(DetectionMetrics metrics, string heading = "Detection")
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var html = new StringBuilder();
        Table(html, ["images", "mAP (COCO, IoU 0.50:0.95)", "mAP@0.50", "mAP@0.75", "mAP (VOC, IoU 0.5)"],
            [[Integer(metrics.ImageCount), Number(metrics.MeanAveragePrecision), Number(metrics.MeanAveragePrecision50), Number(metrics.MeanAveragePrecision75), Number(metrics.MeanAveragePrecisionVoc)]]);
        html.Append("<h3>Per class</h3>\n");
        Table(html, ["class", "ground truth", "detections", "AP", "AP@0.50", "AP@0.75", "AP (VOC)"],
            metrics.PerClass.Select(c => new[]
            {
                c.Label is { } name ? Text(name) : Integer(c.ClassId), Integer(c.GroundTruthCount), Integer(c.DetectionCount), Number(c.AveragePrecision),
                Number(c.AveragePrecisionByIou?[0]), Number(c.AveragePrecisionByIou?[5]), Number(c.AveragePrecisionVoc),
            }));
        return Add(heading, html.ToString());
    }

    /// <summary>A table of named values, e.g. a Fréchet distance and an Inception Score.</summary>
    /// <param name="heading">The section's heading.</param>
    /// <param name="values">Names and values, in display order.</param>
    public EvaluationReport AddValues(string heading, IEnumerable<KeyValuePair<string, double>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var html = new StringBuilder();
        Table(html, ["metric", "value"], values.Select(v => new[] { Text(v.Key), Number(v.Value) }));
        return Add(heading, html.ToString());
    }

    /// <summary>The report as one HTML document.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<title>").Append(Text(Title)).Append("</title>\n")
            .Append("<style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}")
            .Append("table{border-collapse:collapse;margin:0.5em 0 1em}th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}")
            .Append("th{background:#f3f3f3}td:first-child{text-align:left}figure{display:inline-block;margin:0.5em 1em 1em 0}")
            .Append("img{max-width:100%;border:1px solid #eee}figcaption{color:#555}</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(Text(Title)).Append("</h1>\n");
        foreach (var section in _sections)
        {
            html.Append("<h2>").Append(Text(section.Heading)).Append("</h2>\n").Append(section.Html);
            foreach (var plot in section.Plots)
            {
                html.Append("<figure><img alt=\"").Append(Text(plot.Caption)).Append("\" src=\"data:image/png;base64,")
                    .Append(Convert.ToBase64String(plot.Png)).Append("\"><figcaption>").Append(Text(plot.Caption)).Append("</figcaption></figure>\n");
            }
        }
        return html.Append("</body>\n</html>\n").ToString();
    }

    /// <summary>Writes the report as one self-contained HTML file (plots embedded), creating its folder if needed.</summary>
    public void SaveHtml(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
            Directory.CreateDirectory(folder);
        SafeFile.WriteAllText(path, ToHtml());
    }

    /// <summary>Writes every plot as a PNG file into <paramref name="folder"/> (created if needed) and returns their paths.</summary>
    public IReadOnlyList<string> SavePlots(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        return Plots.Select(plot =>
        {
            var path = Path.Combine(folder, plot.FileName);
            SafeFile.WriteAllBytes(path, plot.Png);
            return path;
        }).ToArray();
    }

    private EvaluationReport Add(string heading, string html, params (string Name, string Caption, byte[] Png)[] plots)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(heading);
        // Section number first, so two sections of one kind (say, two classifiers) do not overwrite each other's files.
        var prefix = (_sections.Count + 1).ToString(CultureInfo.InvariantCulture);
        _sections.Add(new Section(heading, html, plots.Select(p => new ReportPlot($"{prefix}-{p.Name}.png", p.Caption, p.Png)).ToArray()));
        return this;
    }

    /// <summary>Headers are text; cells are HTML fragments, escaped by the caller where they hold user text.</summary>
    private static void Table(StringBuilder html, IReadOnlyList<string> headers, IEnumerable<string[]> rows)
    {
        html.Append("<table>\n<tr>");
        foreach (var header in headers)
            html.Append("<th>").Append(Text(header)).Append("</th>");
        html.Append("</tr>\n");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
                html.Append("<td>").Append(cell).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    // Only the markup characters: the page is UTF-8, so "Fréchet" stays readable in the source.
    private static string Text(string value) =>
        value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    private static string Integer(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Number(double? value, string format = "0.0000") =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    private sealed record Section(string Heading, string Html, IReadOnlyList<ReportPlot> Plots);
}

/// <summary>A plot of an <see cref="EvaluationReport"/>.</summary>
/// <param name="FileName">The file name <see cref="EvaluationReport.SavePlots"/> writes it to, e.g. "2-confusion-matrix.png".</param>
/// <param name="Caption">What it shows.</param>
/// <param name="Png">The PNG file's bytes.</param>
public sealed record ReportPlot(string FileName, string Caption, byte[] Png);
