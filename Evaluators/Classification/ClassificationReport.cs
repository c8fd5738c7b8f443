namespace MlNetDeep;

/// <summary>
/// What a classifier did on labelled data, class by class: precision, recall, F1 and support, their macro, micro and
/// weighted averages, top-k accuracy, the confusion matrix and, when the scores are probabilities, calibration.
/// Returned by <c>ml.MulticlassClassification.EvaluateReport(...)</c>; the binary evaluator returns the derived
/// <see cref="BinaryClassificationReport"/>.
/// </summary>
public class ClassificationReport
{
    /// <summary>The class labels, in score (and key) order.</summary>
    public required IReadOnlyList<string> ClassLabels { get; init; }

    /// <summary>Precision, recall, F1 and support of each class, in the order of <see cref="ClassLabels"/>.</summary>
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }

    /// <summary>Rows evaluated (rows with a label).</summary>
    public required long RowCount { get; init; }

    /// <summary>Rows skipped because their label was missing (a key of 0, e.g. a class <c>MapValueToKey</c> had not seen, or NaN).</summary>
    public required long UnlabeledRowCount { get; init; }

    /// <summary>
    /// Counts of (true class, predicted class): <c>ConfusionMatrix[i][j]</c> is the number of rows of class i predicted
    /// as class j.
    /// </summary>
    public required IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix { get; init; }

    /// <summary>
    /// Top-k accuracy for k = 1 … class count: element k − 1 is the fraction of rows whose true class is among the k
    /// highest scores. Tied scores rank the lower class index first, as the predicted class (the first highest score) does.
    /// A report read from predicted labels without scores (<see cref="TokenClassificationReport"/>) has k = 1 only.
    /// </summary>
    public required IReadOnlyList<double> TopKAccuracy { get; init; }

    /// <summary>
    /// Calibration (expected calibration error and the reliability table), or null when the scores are not
    /// probabilities (a multiclass score outside [0, 1], or a binary model without a probability column).
    /// </summary>
    public required CalibrationReport? Calibration { get; init; }

    /// <summary>Fraction of rows predicted correctly; equals the micro-averaged precision, recall and F1.</summary>
    public double Accuracy => TopKAccuracy[0];

    /// <summary>Micro-averaged F1: every row counts once, whatever its class; equal to <see cref="Accuracy"/> for single-label data.</summary>
    public double MicroF1 => Accuracy;

    /// <summary>Unweighted mean of the per-class precisions (a class never predicted counts as 0).</summary>
    public double MacroPrecision => PerClass.Average(c => c.Precision);

    /// <summary>Unweighted mean of the per-class recalls (a class without rows counts as 0).</summary>
    public double MacroRecall => PerClass.Average(c => c.Recall);

    /// <summary>Unweighted mean of the per-class F1 scores: every class counts the same, however rare.</summary>
    public double MacroF1 => PerClass.Average(c => c.F1Score);

    /// <summary>Mean of the per-class precisions weighted by support.</summary>
    public double WeightedPrecision => Weighted(c => c.Precision);

    /// <summary>Mean of the per-class recalls weighted by support.</summary>
    public double WeightedRecall => Weighted(c => c.Recall);

    /// <summary>Mean of the per-class F1 scores weighted by support.</summary>
    public double WeightedF1 => Weighted(c => c.F1Score);

    /// <summary>Top-k accuracy for one k (1 ≤ k ≤ the length of <see cref="TopKAccuracy"/>).</summary>
    public double TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, TopKAccuracy.Count);
        return TopKAccuracy[k - 1];
    }

    private double Weighted(Func<ClassMetrics, double> metric) =>
        RowCount == 0 ? 0 : PerClass.Sum(c => metric(c) * c.Support) / RowCount;
}

/// <summary>One class's line of a <see cref="ClassificationReport"/>.</summary>
/// <param name="Label">The class label.</param>
/// <param name="Precision">Of the rows predicted as this class, the fraction that are; 0 when none was predicted.</param>
/// <param name="Recall">Of the rows of this class, the fraction predicted as it; 0 when the class has no rows.</param>
/// <param name="F1Score">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="Support">Rows whose true class this is.</param>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1Score, long Support);

/// <summary>
/// How far predicted probabilities are from observed frequencies. Multiclass: the confidence is the highest class
/// probability and the outcome whether that class was right (top-label calibration). Binary: the predicted probability
/// of the positive class and whether the row is positive (the usual reliability diagram).
/// </summary>
public sealed class CalibrationReport
{
    /// <summary>
    /// Expected calibration error: the mean over bins of |observed frequency − mean predicted probability|, weighted by
    /// the bin's share of the rows. 0 for a perfectly calibrated model.
    /// </summary>
    public required double ExpectedCalibrationError { get; init; }

    /// <summary>The largest |observed frequency − mean predicted probability| over the non-empty bins.</summary>
    public required double MaximumCalibrationError { get; init; }

    /// <summary>
    /// The reliability table: equal-width bins over [0, 1], each (lower, upper] except the first, which also holds 0.
    /// </summary>
    public required IReadOnlyList<ReliabilityBin> Bins { get; init; }
}

/// <summary>One bin of a reliability table.</summary>
/// <param name="Lower">Lower edge of the bin.</param>
/// <param name="Upper">Upper edge of the bin (included).</param>
/// <param name="Count">Rows whose predicted probability falls in the bin.</param>
/// <param name="MeanPredictedProbability">Mean predicted probability of those rows; null when the bin is empty.</param>
/// <param name="ObservedFrequency">Fraction of those rows whose outcome happened (prediction right, or row positive); null when the bin is empty.</param>
public sealed record ReliabilityBin(double Lower, double Upper, long Count, double? MeanPredictedProbability, double? ObservedFrequency);

/// <summary>
/// A <see cref="ClassificationReport"/> of a binary classifier (classes "False" and "True", in that order) with its
/// precision-recall and ROC curves and their areas, computed from the <c>Score</c> column's ranking.
/// </summary>
public sealed class BinaryClassificationReport : ClassificationReport
{
    /// <summary>
    /// Precision and recall at every distinct score used as the threshold (predicted positive when score ≥ threshold),
    /// from the highest threshold down.
    /// </summary>
    public required IReadOnlyList<PrecisionRecallPoint> PrecisionRecallCurve { get; init; }

    /// <summary>
    /// Average precision: Σ (Rₙ − Rₙ₋₁) Pₙ over the precision-recall curve, the step-wise area under it without
    /// interpolation (scikit-learn's average_precision_score).
    /// </summary>
    public required double AveragePrecision { get; init; }

    /// <summary>
    /// False and true positive rates at every distinct score used as the threshold, from the highest down, after a
    /// first point (0, 0) at an infinite threshold.
    /// </summary>
    public required IReadOnlyList<RocPoint> RocCurve { get; init; }

    /// <summary>Area under <see cref="RocCurve"/> by the trapezoidal rule (ties count one half).</summary>
    public required double AreaUnderRocCurve { get; init; }
}

/// <summary>
/// A token-level <see cref="ClassificationReport"/> of a sequence tagger (named entity recognition): every token of every
/// row counts once, as in scikit-learn's report on the flattened tags. The classes are the label key's values, plus a
/// class for missing keys when the data has any; <see cref="OutsideClass"/> names the tag of tokens outside any entity,
/// which the entity averages leave out. Returned by <c>ml.MulticlassClassification.EvaluateTokenReport(...)</c>.
/// </summary>
public sealed class TokenClassificationReport : ClassificationReport
{
    /// <summary>Rows (sentences) read; <see cref="ClassificationReport.RowCount"/> counts their tokens.</summary>
    public required long SequenceCount { get; init; }

    /// <summary>The class left out of the entity averages (the outside tag, e.g. "O"), or null when every class is an entity.</summary>
    public required string? OutsideClass { get; init; }

    /// <summary>Of the tokens predicted as an entity class, the fraction whose tag it is (micro average over the entity classes).</summary>
    public double EntityMicroPrecision => Ratio(EntityTruePositives(), EntityColumnSum());

    /// <summary>Of the tokens tagged with an entity class, the fraction predicted as that class (micro average over the entity classes).</summary>
    public double EntityMicroRecall => Ratio(EntityTruePositives(), EntityRowSum());

    /// <summary>Harmonic mean of <see cref="EntityMicroPrecision"/> and <see cref="EntityMicroRecall"/>: the usual token-level NER score.</summary>
    public double EntityMicroF1
    {
        get
        {
            var (precision, recall) = (EntityMicroPrecision, EntityMicroRecall);
            return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        }
    }

    /// <summary>Unweighted mean of the entity classes' F1 scores.</summary>
    public double EntityMacroF1
    {
        get
        {
            var entities = EntityClasses().ToArray();
            return entities.Length == 0 ? 0 : entities.Average(c => PerClass[c].F1Score);
        }
    }

    private IEnumerable<int> EntityClasses() => Enumerable.Range(0, ClassLabels.Count).Where(c => ClassLabels[c] != OutsideClass);

    private long EntityTruePositives() => EntityClasses().Sum(c => ConfusionMatrix[c][c]);

    private long EntityRowSum() => EntityClasses().Sum(c => ConfusionMatrix[c].Sum());

    private long EntityColumnSum() => EntityClasses().Sum(c => ConfusionMatrix.Sum(row => row[c]));

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}

/// <summary>A point of a precision-recall curve.</summary>
/// <param name="Threshold">Rows with a score at or above this are predicted positive.</param>
/// <param name="Precision">Fraction of the rows predicted positive that are positive.</param>
/// <param name="Recall">Fraction of the positive rows predicted positive.</param>
public readonly record struct PrecisionRecallPoint(double Threshold, double Precision, double Recall);

/// <summary>A point of a receiver operating characteristic curve.</summary>
/// <param name="Threshold">Rows with a score at or above this are predicted positive.</param>
/// <param name="FalsePositiveRate">Fraction of the negative rows predicted positive.</param>
/// <param name="TruePositiveRate">Fraction of the positive rows predicted positive (recall).</param>
public readonly record struct RocPoint(double Threshold, double FalsePositiveRate, double TruePositiveRate);
