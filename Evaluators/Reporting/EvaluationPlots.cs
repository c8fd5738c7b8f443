using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace MlNetDeep;

/// <summary>
/// Evaluation plots as PNG images (OxyPlot drawing with SkiaSharp): training curves, confusion matrix heat map,
/// reliability diagram, precision-recall and ROC curves. Each method returns the PNG file's bytes.
/// </summary>
public static class EvaluationPlots
{
    private const int CurvePointLimit = 2000;
    private static readonly OxyColor TrainColor = OxyColor.FromRgb(31, 119, 180);
    private static readonly OxyColor ValidationColor = OxyColor.FromRgb(255, 127, 14);
    private static readonly OxyColor MetricColor = OxyColor.FromRgb(44, 160, 44);

    /// <summary>Training and validation loss (left axis) and the validation metric (right axis) per epoch.</summary>
    /// <param name="history">The training history (<c>model.History</c>, or the records a <c>Progress</c> reporter received); at least one epoch.</param>
    public static byte[] TrainingCurves(IReadOnlyList<EpochRecord> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
            throw new ArgumentException("The training history has no epochs to plot.", nameof(history));
        var metricName = history[0].MetricName;
        var model = NewModel("Training curves");
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightMiddle, LegendPlacement = LegendPlacement.Inside, LegendBackground = OxyColor.FromAColor(220, OxyColors.White) });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "epoch", MinimumPadding = 0.05, MaximumPadding = 0.05, MinimumMajorStep = 1, MinimumMinorStep = 1, StringFormat = "0", MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "loss", Key = "loss", MajorGridlineStyle = LineStyle.Dot });
        model.Series.Add(EpochLine("train loss", TrainColor, history.Select(r => new DataPoint(r.Epoch, r.TrainLoss)), "loss"));
        if (history.Any(r => r.ValidationLoss is not null))
            model.Series.Add(EpochLine("validation loss", ValidationColor, history.Where(r => r.ValidationLoss is not null).Select(r => new DataPoint(r.Epoch, r.ValidationLoss!.Value)), "loss"));
        if (history.Any(r => r.ValidationMetric is not null))
        {
            model.Axes.Add(new LinearAxis { Position = AxisPosition.Right, Title = $"validation {metricName}", Key = "metric" });
            model.Series.Add(EpochLine($"validation {metricName}", MetricColor, history.Where(r => r.ValidationMetric is not null).Select(r => new DataPoint(r.Epoch, r.ValidationMetric!.Value)), "metric"));
        }
        return Render(model, 800, 500);
    }

    /// <summary>
    /// The confusion matrix as a heat map: rows are true classes, columns predicted ones; each cell's colour and label
    /// is its share of the row (the recall on the diagonal), so rare classes read as clearly as common ones.
    /// </summary>
    public static byte[] ConfusionMatrix(ClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var classCount = report.ClassLabels.Count;
        var shares = new double[classCount, classCount];
        for (var truth = 0; truth < classCount; truth++)
        {
            var support = report.ConfusionMatrix[truth].Sum();
            for (var predicted = 0; predicted < classCount; predicted++)
                shares[predicted, truth] = support == 0 ? 0 : (double)report.ConfusionMatrix[truth][predicted] / support;
        }
        var model = NewModel("Confusion matrix (share of each true class)");
        var predictedAxis = new CategoryAxis { Position = AxisPosition.Bottom, Key = "predicted", Title = "predicted class", Angle = classCount > 4 ? -45 : 0, GapWidth = 0 };
        predictedAxis.Labels.AddRange(report.ClassLabels);
        var trueAxis = new CategoryAxis { Position = AxisPosition.Left, Key = "true", Title = "true class", StartPosition = 1, EndPosition = 0, GapWidth = 0 };
        trueAxis.Labels.AddRange(report.ClassLabels);
        model.Axes.Add(predictedAxis);
        model.Axes.Add(trueAxis);
        model.Axes.Add(new LinearColorAxis
        {
            Position = AxisPosition.Right, Minimum = 0, Maximum = 1, StringFormat = "0%",
            Palette = OxyPalette.Interpolate(200, OxyColors.White, OxyColor.FromRgb(107, 174, 214), OxyColor.FromRgb(8, 81, 156)),
        });
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0, X1 = classCount - 1, Y0 = 0, Y1 = classCount - 1,
            XAxisKey = "predicted", YAxisKey = "true",
            Data = shares, Interpolate = false, RenderMethod = HeatMapRenderMethod.Rectangles,
            // Cell labels only while they fit.
            LabelFormatString = classCount <= 20 ? "0%" : null, LabelFontSize = 0.25,
        });
        var side = Math.Clamp(150 + 45 * classCount, 500, 1600);
        return Render(model, side + 120, side);
    }

    /// <summary>
    /// The reliability diagram: the observed frequency of each probability bin against the diagonal of perfect
    /// calibration, with the expected calibration error in the title.
    /// </summary>
    public static byte[] ReliabilityDiagram(CalibrationReport calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        var model = NewModel($"Reliability diagram (ECE {calibration.ExpectedCalibrationError:0.0000})");
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.LeftTop, LegendPlacement = LegendPlacement.Inside });
        model.Axes.Add(UnitAxis(AxisPosition.Bottom, "predicted probability"));
        model.Axes.Add(UnitAxis(AxisPosition.Left, "observed frequency"));
        var bars = new RectangleBarSeries { Title = "observed", FillColor = OxyColor.FromAColor(170, TrainColor), StrokeColor = TrainColor, StrokeThickness = 1 };
        foreach (var bin in calibration.Bins.Where(b => b.ObservedFrequency is not null))
            bars.Items.Add(new RectangleBarItem(bin.Lower, 0, bin.Upper, bin.ObservedFrequency!.Value));
        model.Series.Add(bars);
        var means = Line("mean predicted probability", ValidationColor, calibration.Bins.Where(b => b.ObservedFrequency is not null)
            .Select(b => new DataPoint(b.MeanPredictedProbability!.Value, b.ObservedFrequency!.Value)));
        means.MarkerType = MarkerType.Circle;
        means.LineStyle = LineStyle.None;
        model.Series.Add(means);
        model.Series.Add(Diagonal("perfect calibration", 0, 0, 1, 1));
        return Render(model, 600, 600);
    }

    /// <summary>The precision-recall curve of a binary report, with its average precision in the title.</summary>
    public static byte[] PrecisionRecallCurve(BinaryClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var model = NewModel($"Precision-recall curve (AP {report.AveragePrecision:0.0000})");
        model.Axes.Add(UnitAxis(AxisPosition.Bottom, "recall"));
        model.Axes.Add(UnitAxis(AxisPosition.Left, "precision"));
        var positiveShare = (double)report.PerClass[1].Support / report.RowCount;
        model.Series.Add(Diagonal("chance", 0, positiveShare, 1, positiveShare));
        var curve = new StairStepSeries { Title = "model", Color = TrainColor, StrokeThickness = 2, VerticalStrokeThickness = 2 };
        curve.Points.AddRange(Thin(report.PrecisionRecallCurve).Select(p => new DataPoint(p.Recall, p.Precision)));
        model.Series.Add(curve);
        return Render(model, 600, 600);
    }

    /// <summary>The ROC curve of a binary report, with the area under it in the title.</summary>
    public static byte[] RocCurve(BinaryClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var model = NewModel($"ROC curve (AUC {report.AreaUnderRocCurve:0.0000})");
        model.Axes.Add(UnitAxis(AxisPosition.Bottom, "false positive rate"));
        model.Axes.Add(UnitAxis(AxisPosition.Left, "true positive rate"));
        model.Series.Add(Diagonal("chance", 0, 0, 1, 1));
        model.Series.Add(Line("model", TrainColor, Thin(report.RocCurve).Select(p => new DataPoint(p.FalsePositiveRate, p.TruePositiveRate))));
        return Render(model, 600, 600);
    }

    private static PlotModel NewModel(string title) => new()
    {
        Title = title,
        TitleFontSize = 16,
        Background = OxyColors.White,
        DefaultFont = "DejaVu Sans",
        DefaultFontSize = 13,
        PlotMargins = new OxyThickness(double.NaN),
    };

    private static LinearAxis UnitAxis(AxisPosition position, string title) =>
        new() { Position = position, Title = title, Minimum = 0, Maximum = 1, MajorStep = 0.2, MajorGridlineStyle = LineStyle.Dot };

    private static LineSeries Line(string title, OxyColor color, IEnumerable<DataPoint> points, string? yAxisKey = null)
    {
        var line = new LineSeries { Title = title, Color = color, StrokeThickness = 2, YAxisKey = yAxisKey };
        line.Points.AddRange(points);
        return line;
    }

    /// <summary>A line with a marker on each epoch, so a history of one epoch still shows.</summary>
    private static LineSeries EpochLine(string title, OxyColor color, IEnumerable<DataPoint> points, string yAxisKey)
    {
        var line = Line(title, color, points, yAxisKey);
        line.MarkerType = MarkerType.Circle;
        line.MarkerSize = 3;
        line.MarkerFill = color;
        return line;
    }

    private static LineSeries Diagonal(string title, double x0, double y0, double x1, double y1)
    {
        var line = Line(title, OxyColors.Gray, [new DataPoint(x0, y0), new DataPoint(x1, y1)]);
        line.LineStyle = LineStyle.Dash;
        line.StrokeThickness = 1;
        return line;
    }

    /// <summary>At most <see cref="CurvePointLimit"/> evenly spaced points, the last one kept: a PNG cannot show more.</summary>
    private static IEnumerable<T> Thin<T>(IReadOnlyList<T> points)
    {
        var stride = Math.Max(1, (points.Count + CurvePointLimit - 1) / CurvePointLimit);
        for (var i = 0; i < points.Count; i += stride)
            yield return points[i];
        if (points.Count > 0 && (points.Count - 1) % stride != 0)
            yield return points[^1];
    }

    private static byte[] Render(PlotModel model, int width, int height)
    {
        using var stream = new MemoryStream();
        // Text shaping loads HarfBuzz's native library, which the resolved packages do not bring for Linux; plain glyph runs suffice for labels.
        new OxyPlot.SkiaSharp.PngExporter { Width = width, Height = height, UseTextShaping = false }.Export(model, stream);
        return stream.ToArray();
    }
}
