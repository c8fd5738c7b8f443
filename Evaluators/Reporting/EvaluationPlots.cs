using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;

namespace MlNetDeep;

/// <summary>
/// Evaluation plots as PNG images (ScottPlot 5 drawing with SkiaSharp 3, the SkiaSharp of ML.NET's ImageAnalytics):
/// training curves, confusion matrix heat map, reliability diagram, precision-recall and ROC curves. Each method
/// returns the PNG file's bytes.
/// </summary>
public static class EvaluationPlots
{
    private const int CurvePointLimit = 2000;
    private const float FontSize = 13;
    private static readonly Color TrainColor = new(31, 119, 180);
    private static readonly Color ValidationColor = new(255, 127, 14);
    private static readonly Color MetricColor = new(44, 160, 44);
    private static readonly Color ChanceColor = new(128, 128, 128);

    /// <summary>
    /// Sans-serif families tried in order. SkiaSharp's Linux build without fontconfig reports whichever font file it
    /// scanned first as the default (DejaVu Serif on Debian), so the family is chosen here.
    /// </summary>
    private static readonly string[] PreferredFonts = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Segoe UI"];
    private static readonly Lazy<string> FontFamily = new(() => PreferredFonts.FirstOrDefault(IsInstalled) ?? Fonts.Default);

    /// <summary>Training and validation loss (left axis) and the validation metric (right axis) per epoch.</summary>
    /// <param name="history">The training history (<c>model.History</c>, or the records a <c>Progress</c> reporter received); at least one epoch.</param>
    public static byte[] TrainingCurves(IReadOnlyList<EpochRecord> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
            throw new ArgumentException("The training history has no epochs to plot.", nameof(history));
        var metricName = history[0].MetricName;
        using var plot = NewPlot("Training curves", "epoch", "loss");
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        EpochLine(plot, "train loss", TrainColor, history.Select(r => (r.Epoch, r.TrainLoss)));
        if (history.Any(r => r.ValidationLoss is not null))
            EpochLine(plot, "validation loss", ValidationColor, history.Where(r => r.ValidationLoss is not null).Select(r => (r.Epoch, r.ValidationLoss!.Value)));
        if (history.Any(r => r.ValidationMetric is not null))
        {
            var metric = EpochLine(plot, $"validation {metricName}", MetricColor, history.Where(r => r.ValidationMetric is not null).Select(r => (r.Epoch, r.ValidationMetric!.Value)));
            metric.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = $"validation {metricName}";
            plot.Axes.Right.Label.FontSize = FontSize;
        }
        ShowLegend(plot, Alignment.MiddleRight);
        return Render(plot, 800, 500);
    }

    /// <summary>
    /// The confusion matrix as a heat map: rows are true classes, columns predicted ones; each cell's colour and label
    /// is its share of the row (the recall on the diagonal), so rare classes read as clearly as common ones.
    /// </summary>
    public static byte[] ConfusionMatrix(ClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var classCount = report.ClassLabels.Count;
        // ScottPlot draws cell (row, column) of a heat map centred on (column, classCount - 1 - row): the first true class
        // heads the matrix, as in a printed table.
        var shares = new double[classCount, classCount];
        for (var truth = 0; truth < classCount; truth++)
        {
            var support = report.ConfusionMatrix[truth].Sum();
            for (var predicted = 0; predicted < classCount; predicted++)
                shares[truth, predicted] = support == 0 ? 0 : (double)report.ConfusionMatrix[truth][predicted] / support;
        }
        using var plot = NewPlot("Confusion matrix (share of each true class)", "predicted class", "true class");
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.CustomInterpolated([Colors.White, new Color(107, 174, 214), new Color(8, 81, 156)]);
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Axis.TickGenerator = UnitTicks(Percent);

        var positions = Enumerable.Range(0, classCount).Select(i => (double)i).ToArray();
        var labels = report.ClassLabels.ToArray();
        plot.Axes.Bottom.TickGenerator = new NumericManual(positions, labels);
        plot.Axes.Left.TickGenerator = new NumericManual(positions.Reverse().ToArray(), labels);
        if (classCount > 4)
        {
            // Slanted labels end at their tick; the axis panel grows to hold the longest one.
            var tickLabels = plot.Axes.Bottom.TickLabelStyle;
            tickLabels.Rotation = -45;
            tickLabels.Alignment = Alignment.MiddleRight;
            tickLabels.FontName = FontFamily.Value;
            using var paint = Paint.NewDisposablePaint();
            var (_, longest) = tickLabels.MeasureWidestString(labels, paint);
            plot.Axes.Bottom.MinimumSize = (float)(longest.Length * Math.Sqrt(0.5)) + 2 * FontSize + 10;
        }
        // Cell labels only while they fit.
        if (classCount <= 20)
        {
            var cellFontSize = Math.Clamp(160f / classCount, 9f, 16f);
            for (var truth = 0; truth < classCount; truth++)
            {
                for (var predicted = 0; predicted < classCount; predicted++)
                {
                    var text = plot.Add.Text(Percent(shares[truth, predicted]), predicted, classCount - 1 - truth);
                    text.Alignment = Alignment.MiddleCenter;
                    text.LabelFontSize = cellFontSize;
                    // Dark cells get white text.
                    text.LabelFontColor = shares[truth, predicted] > 0.5 ? Colors.White : Colors.Black;
                }
            }
        }
        plot.Axes.SetLimits(-0.5, classCount - 0.5, -0.5, classCount - 0.5);
        plot.HideGrid();
        var side = Math.Clamp(150 + 45 * classCount, 500, 1600);
        return Render(plot, side + 120, side);
    }

    /// <summary>
    /// The reliability diagram: the observed frequency of each probability bin against the diagonal of perfect
    /// calibration, with the expected calibration error in the title.
    /// </summary>
    public static byte[] ReliabilityDiagram(CalibrationReport calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        using var plot = NewPlot($"Reliability diagram (ECE {Number(calibration.ExpectedCalibrationError)})", "predicted probability", "observed frequency");
        var filled = calibration.Bins.Where(b => b.ObservedFrequency is not null).ToArray();
        if (filled.Length > 0)
        {
            var bars = plot.Add.Bars(filled.Select(bin => new Bar
            {
                Position = (bin.Lower + bin.Upper) / 2,
                Value = bin.ObservedFrequency!.Value,
                Size = bin.Upper - bin.Lower,
                FillColor = TrainColor.WithAlpha(170),
                LineColor = TrainColor,
                LineWidth = 1,
            }).ToArray());
            bars.LegendText = "observed";
            var means = plot.Add.ScatterPoints(filled.Select(b => b.MeanPredictedProbability!.Value).ToArray(), filled.Select(b => b.ObservedFrequency!.Value).ToArray(), ValidationColor);
            means.MarkerShape = MarkerShape.FilledCircle;
            means.MarkerSize = 8;
            means.LegendText = "mean predicted probability";
        }
        Diagonal(plot, "perfect calibration", 0, 0, 1, 1);
        UnitAxes(plot);
        ShowLegend(plot, Alignment.UpperLeft);
        return Render(plot, 600, 600);
    }

    /// <summary>The precision-recall curve of a binary report, with its average precision in the title.</summary>
    public static byte[] PrecisionRecallCurve(BinaryClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var plot = NewPlot($"Precision-recall curve (AP {Number(report.AveragePrecision)})", "recall", "precision");
        var positiveShare = (double)report.PerClass[1].Support / report.RowCount;
        Diagonal(plot, "chance", 0, positiveShare, 1, positiveShare);
        var points = Thin(report.PrecisionRecallCurve).ToArray();
        var curve = plot.Add.ScatterLine(points.Select(p => p.Recall).ToArray(), points.Select(p => p.Precision).ToArray(), TrainColor);
        curve.ConnectStyle = ConnectStyle.StepHorizontal;
        curve.LineWidth = 2;
        curve.LegendText = "model";
        UnitAxes(plot);
        ShowLegend(plot, Alignment.LowerLeft);
        return Render(plot, 600, 600);
    }

    /// <summary>The ROC curve of a binary report, with the area under it in the title.</summary>
    public static byte[] RocCurve(BinaryClassificationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var plot = NewPlot($"ROC curve (AUC {Number(report.AreaUnderRocCurve)})", "false positive rate", "true positive rate");
        Diagonal(plot, "chance", 0, 0, 1, 1);
        var points = Thin(report.RocCurve).ToArray();
        var curve = plot.Add.ScatterLine(points.Select(p => p.FalsePositiveRate).ToArray(), points.Select(p => p.TruePositiveRate).ToArray(), TrainColor);
        curve.LineWidth = 2;
        curve.LegendText = "model";
        UnitAxes(plot);
        ShowLegend(plot, Alignment.LowerRight);
        return Render(plot, 600, 600);
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        plot.Title(title, 16);
        plot.XLabel(xLabel, FontSize);
        plot.YLabel(yLabel, FontSize);
        plot.Grid.MajorLinePattern = LinePattern.Dotted;
        return plot;
    }

    /// <summary>Both axes over [0, 1] with ticks every 0.2, and a small margin so that lines at 0 or 1 stay off the frame.</summary>
    private static void UnitAxes(Plot plot)
    {
        plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);
        plot.Axes.Bottom.TickGenerator = UnitTicks(v => v.ToString("0.0", CultureInfo.InvariantCulture));
        plot.Axes.Left.TickGenerator = UnitTicks(v => v.ToString("0.0", CultureInfo.InvariantCulture));
    }

    private static NumericManual UnitTicks(Func<double, string> format)
    {
        var ticks = new NumericManual();
        for (var i = 0; i <= 5; i++)
            ticks.AddMajor(i / 5.0, format(i / 5.0));
        return ticks;
    }

    private static void ShowLegend(Plot plot, Alignment alignment)
    {
        var legend = plot.ShowLegend(alignment);
        legend.BackgroundColor = Colors.White.WithAlpha(220);
        legend.FontSize = FontSize;
    }

    /// <summary>A line with a marker on each epoch, so a history of one epoch still shows.</summary>
    private static Scatter EpochLine(Plot plot, string legendText, Color color, IEnumerable<(int Epoch, double Value)> points)
    {
        var list = points.ToArray();
        var line = plot.Add.Scatter(list.Select(p => (double)p.Epoch).ToArray(), list.Select(p => p.Value).ToArray(), color);
        line.LineWidth = 2;
        line.MarkerSize = 6;
        line.LegendText = legendText;
        return line;
    }

    private static void Diagonal(Plot plot, string legendText, double x0, double y0, double x1, double y1)
    {
        var line = plot.Add.Line(x0, y0, x1, y1);
        line.Color = ChanceColor;
        line.LinePattern = LinePattern.Dashed;
        line.LineWidth = 1;
        line.MarkerSize = 0;
        line.LegendText = legendText;
    }

    private static bool IsInstalled(string family) =>
        Fonts.GetTypeface(family, bold: false, italic: false) is { } typeface && string.Equals(typeface.FamilyName, family, StringComparison.OrdinalIgnoreCase);

    private static string Percent(double share) => share.ToString("0%", CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>At most <see cref="CurvePointLimit"/> evenly spaced points, the last one kept: a PNG cannot show more.</summary>
    private static IEnumerable<T> Thin<T>(IReadOnlyList<T> points)
    {
        var stride = Math.Max(1, (points.Count + CurvePointLimit - 1) / CurvePointLimit);
        for (var i = 0; i < points.Count; i += stride)
            yield return points[i];
        if (points.Count > 0 && (points.Count - 1) % stride != 0)
            yield return points[^1];
    }

    private static byte[] Render(Plot plot, int width, int height)
    {
        SetFont(plot, FontFamily.Value);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>
    /// The font of every text of the plot, set label by label: ScottPlot's own <c>plot.Font.Set</c> also changes its
    /// process-wide default font (the user's own plots included) and leaves text plottables and colour bars as they were.
    /// </summary>
    private static void SetFont(Plot plot, string family)
    {
        plot.Axes.Title.Label.FontName = family;
        plot.Axes.Title.Label.Bold = false;
        var axes = plot.Axes.GetAxes().Concat(plot.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>().Select(bar => bar.Axis));
        foreach (var axis in axes)
        {
            axis.Label.FontName = family;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontName = family;
        }
        plot.Legend.FontName = family;
        foreach (var text in plot.GetPlottables().OfType<Text>())
            text.LabelFontName = family;
    }
}
