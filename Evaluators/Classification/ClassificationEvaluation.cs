using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Classification;

namespace MlNetDeep;

/// <summary>
/// Classification reports on ML.NET's classification catalogs, next to their <c>Evaluate</c>: they read the same
/// scored columns, so they work on the output of any ML.NET trainer as well as MlNetDeep's.
/// </summary>
public static partial class ClassificationEvaluation
{
    /// <summary>
    /// Per-class precision, recall, F1 and support, macro/micro/weighted averages, top-k accuracy, the confusion matrix
    /// and calibration of a multiclass model's scored data. The predicted class is the highest score (the first on ties),
    /// as in ML.NET's evaluator.
    /// </summary>
    /// <param name="catalog">The multiclass catalog (<c>ml.MulticlassClassification</c>).</param>
    /// <param name="data">Scored data, e.g. <c>model.Transform(testData)</c>.</param>
    /// <param name="labelColumnName">The label: a key (from <c>MapValueToKey</c>); rows with a missing key are counted and skipped. Its key values name the classes.</param>
    /// <param name="scoreColumnName">The scores: a vector of Single with one value per class, in key order.</param>
    /// <param name="calibrationBinCount">Equal-width bins of the reliability table (10 is usual; more bins need more rows).</param>
    public static ClassificationReport EvaluateReport(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = "Label", string scoreColumnName = "Score", int calibrationBinCount = 10)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(calibrationBinCount, 1);
        var label = RequireColumn(data.Schema, labelColumnName, "Label", nameof(labelColumnName));
        if (label.Type is not KeyDataViewType { RawType: var rawType, Count: var keyCount } || rawType != typeof(uint) || keyCount > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(labelColumnName),
                $"Label column '{labelColumnName}' has type {label.Type}; the multiclass report needs a key label (e.g. from MapValueToKey).");
        var classCount = (int)keyCount;
        var score = RequireColumn(data.Schema, scoreColumnName, "Score", nameof(scoreColumnName));
        if (score.Type is not VectorDataViewType { ItemType: var itemType, Size: var size } || itemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(scoreColumnName),
                $"Score column '{scoreColumnName}' has type {score.Type}; the multiclass report needs a vector of Single class scores.");
        if (size != 0 && size != classCount)
            throw new ArgumentException(
                $"Score column '{scoreColumnName}' has {size} values per row but label column '{labelColumnName}' has {classCount} classes; they must match.",
                nameof(scoreColumnName));

        var tally = new ClassificationTally(classCount);
        var calibration = new CalibrationTally(calibrationBinCount);
        var scoresAreProbabilities = true;
        using var cursor = data.GetRowCursor([label, score]);
        var labelGetter = cursor.GetGetter<uint>(label);
        var scoreGetter = cursor.GetGetter<VBuffer<float>>(score);
        uint key = 0;
        var scoreBuffer = default(VBuffer<float>);
        var denseScores = new float[classCount];
        for (long row = 0; cursor.MoveNext(); row++)
        {
            labelGetter(ref key);
            if (key == 0)
            {
                tally.AddUnlabeled();
                continue;
            }
            if (key > classCount)
                throw new ArgumentException($"Label column '{labelColumnName}' holds key {key} in row {row}, beyond its {classCount} classes.", nameof(data));
            scoreGetter(ref scoreBuffer);
            if (scoreBuffer.Length != classCount)
                throw new ArgumentException(
                    $"Score column '{scoreColumnName}' has {scoreBuffer.Length} values in row {row} but label column '{labelColumnName}' has {classCount} classes; they must match.",
                    nameof(data));
            ReadOnlySpan<float> scores = scoreBuffer.IsDense ? scoreBuffer.GetValues() : Densify(scoreBuffer, denseScores);
            var trueClass = (int)key - 1;
            var trueScore = scores[trueClass];
            int predicted = 0, trueClassRank = 0;
            var best = scores[0];
            for (var c = 0; c < scores.Length; c++)
            {
                var value = scores[c];
                if (!(value >= 0f && value <= 1f))
                {
                    if (float.IsNaN(value))
                        throw new ArgumentException($"Score column '{scoreColumnName}' holds NaN in row {row}.", nameof(data));
                    scoresAreProbabilities = false;
                }
                if (value > best)
                {
                    best = value;
                    predicted = c;
                }
                // Ties rank the lower class first, as the predicted class does, so top-1 accuracy is the accuracy.
                if (value > trueScore || (value == trueScore && c < trueClass))
                    trueClassRank++;
            }
            tally.Add(trueClass, predicted, trueClassRank);
            if (scoresAreProbabilities)
                calibration.Add(best, predicted == trueClass);
        }
        RequireLabelledRows(tally, labelColumnName);
        var classLabels = AnnotationText(label, ColumnAnnotations.KeyValues, classCount)
            ?? AnnotationText(score, ColumnAnnotations.SlotNames, classCount)
            ?? Enumerable.Range(0, classCount).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return tally.ToReport(classLabels, scoresAreProbabilities ? calibration.ToReport() : null);
    }

    /// <summary>
    /// The classification report of a binary model's scored data (classes "False" and "True", the positive class
    /// last), with precision-recall and ROC curves of the score, average precision and the area under the ROC curve,
    /// and calibration of the probability column when there is one.
    /// </summary>
    /// <param name="catalog">The binary catalog (<c>ml.BinaryClassification</c>).</param>
    /// <param name="data">Scored data, e.g. <c>model.Transform(testData)</c>.</param>
    /// <param name="labelColumnName">The label: Boolean, or Single/Double with values &gt; 0 positive; NaN rows are counted and skipped.</param>
    /// <param name="scoreColumnName">The score (logit or margin, Single) whose ranking the curves sweep.</param>
    /// <param name="probabilityColumnName">The positive-class probability (Single) for calibration; a missing column leaves <see cref="ClassificationReport.Calibration"/> null.</param>
    /// <param name="predictedLabelColumnName">The predicted class (Boolean) for the confusion matrix and the per-class metrics.</param>
    /// <param name="calibrationBinCount">Equal-width bins of the reliability table.</param>
    public static BinaryClassificationReport EvaluateReport(this BinaryClassificationCatalog catalog, IDataView data,
        string labelColumnName = "Label", string scoreColumnName = "Score",
        string probabilityColumnName = "Probability", string predictedLabelColumnName = "PredictedLabel",
        int calibrationBinCount = 10)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(calibrationBinCount, 1);
        var label = RequireColumn(data.Schema, labelColumnName, "Label", nameof(labelColumnName));
        if (label.Type != BooleanDataViewType.Instance && label.Type != NumberDataViewType.Single && label.Type != NumberDataViewType.Double)
            throw new ArgumentOutOfRangeException(nameof(labelColumnName),
                $"Label column '{labelColumnName}' has type {label.Type}; the binary report needs a Boolean, Single or Double label.");
        var score = RequireScalar(data.Schema, scoreColumnName, "Score", NumberDataViewType.Single, nameof(scoreColumnName));
        var predictedLabel = RequireScalar(data.Schema, predictedLabelColumnName, "Predicted label", BooleanDataViewType.Instance, nameof(predictedLabelColumnName));
        var probability = data.Schema.GetColumnOrNull(probabilityColumnName) is null
            ? (DataViewSchema.Column?)null
            : RequireScalar(data.Schema, probabilityColumnName, "Probability", NumberDataViewType.Single, nameof(probabilityColumnName));

        var tally = new ClassificationTally(2);
        var calibration = new CalibrationTally(calibrationBinCount);
        var capacity = (int)Math.Min(data.GetRowCount() ?? 0, Array.MaxLength);
        var scores = new List<float>(capacity);
        var positives = new List<bool>(capacity);
        DataViewSchema.Column[] columns = probability is { } p ? [label, score, predictedLabel, p] : [label, score, predictedLabel];
        using var cursor = data.GetRowCursor(columns);
        var labelGetter = BinaryLabelGetter(cursor, label);
        var scoreGetter = cursor.GetGetter<float>(score);
        var predictedGetter = cursor.GetGetter<bool>(predictedLabel);
        var probabilityGetter = probability is { } column ? cursor.GetGetter<float>(column) : null;
        float scoreValue = 0, probabilityValue = 0;
        var predictedValue = false;
        for (long row = 0; cursor.MoveNext(); row++)
        {
            var isPositive = labelGetter();
            if (isPositive is null)
            {
                tally.AddUnlabeled();
                continue;
            }
            scoreGetter(ref scoreValue);
            if (float.IsNaN(scoreValue))
                throw new ArgumentException($"Score column '{scoreColumnName}' holds NaN in row {row}.", nameof(data));
            predictedGetter(ref predictedValue);
            var trueClass = isPositive.Value ? 1 : 0;
            tally.Add(trueClass, predictedValue ? 1 : 0, predictedValue == isPositive.Value ? 0 : 1);
            scores.Add(scoreValue);
            positives.Add(isPositive.Value);
            if (probabilityGetter is not null)
            {
                probabilityGetter(ref probabilityValue);
                if (!(probabilityValue >= 0f && probabilityValue <= 1f))
                    throw new ArgumentException($"Probability column '{probabilityColumnName}' holds {probabilityValue} in row {row}; probabilities lie in [0, 1].", nameof(data));
                calibration.Add(probabilityValue, isPositive.Value);
            }
        }
        RequireLabelledRows(tally, labelColumnName);
        var positiveCount = positives.LongCount(x => x);
        if (positiveCount == 0 || positiveCount == positives.Count)
            throw new ArgumentException(
                $"Label column '{labelColumnName}' has only {(positiveCount == 0 ? "negative" : "positive")} rows; precision-recall and ROC curves need both classes.",
                nameof(data));
        var curves = BinaryCurves.Compute([.. scores], [.. positives]);
        return tally.ToBinaryReport(probabilityGetter is null ? null : calibration.ToReport(), curves);
    }

    private static DataViewSchema.Column RequireColumn(DataViewSchema schema, string name, string role, string parameterName) =>
        schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(parameterName, $"{role} column '{name}' is not in the data.");

    private static DataViewSchema.Column RequireScalar(DataViewSchema schema, string name, string role, DataViewType type, string parameterName)
    {
        var column = RequireColumn(schema, name, role, parameterName);
        if (column.Type != type)
            throw new ArgumentOutOfRangeException(parameterName, $"{role} column '{name}' has type {column.Type}; the binary report needs {type}.");
        return column;
    }

    private static void RequireLabelledRows(ClassificationTally tally, string labelColumnName)
    {
        if (tally.RowCount == 0)
            throw new ArgumentException(
                tally.UnlabeledRowCount == 0
                    ? "The data has no rows to evaluate."
                    : $"None of the {tally.UnlabeledRowCount} rows has a label in column '{labelColumnName}'.",
                "data");
    }

    /// <summary>The row's label as positive (true), negative (false) or missing (null).</summary>
    private static Func<bool?> BinaryLabelGetter(DataViewRow row, DataViewSchema.Column label)
    {
        if (label.Type == BooleanDataViewType.Instance)
        {
            var getter = row.GetGetter<bool>(label);
            var value = false;
            return () => { getter(ref value); return value; };
        }
        if (label.Type == NumberDataViewType.Single)
        {
            var getter = row.GetGetter<float>(label);
            var value = 0f;
            return () => { getter(ref value); return float.IsNaN(value) ? null : value > 0; };
        }
        var doubleGetter = row.GetGetter<double>(label);
        var doubleValue = 0.0;
        return () => { doubleGetter(ref doubleValue); return double.IsNaN(doubleValue) ? null : doubleValue > 0; };
    }

    private static float[] Densify(in VBuffer<float> sparse, float[] dense)
    {
        Array.Clear(dense);
        var values = sparse.GetValues();
        var indices = sparse.GetIndices();
        for (var i = 0; i < values.Length; i++)
            dense[indices[i]] = values[i];
        return dense;
    }

    /// <summary>A vector annotation (key values, slot names) as text, when the column has it with the expected length.</summary>
    private static string[]? AnnotationText(DataViewSchema.Column column, string annotationName, int expectedLength) =>
        ColumnAnnotations.Text(column, annotationName) is { } text && text.Length == expectedLength ? text : null;
}
