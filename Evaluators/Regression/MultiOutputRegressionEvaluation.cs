using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep;

/// <summary>The errors of one output of a multi-output regression (one forecast step, say).</summary>
/// <param name="MeanAbsoluteError">Mean |label − score| over the rows.</param>
/// <param name="RootMeanSquaredError">√(mean (label − score)²) over the rows.</param>
/// <param name="RSquared">1 − squared error / the label's squared deviation from its mean; NaN when the label is constant.</param>
public sealed record RegressionOutputMetrics(double MeanAbsoluteError, double RootMeanSquaredError, double RSquared);

/// <summary>What <see cref="MultiOutputRegressionEvaluation.EvaluateMultiOutput"/> reports: each output's errors and their averages.</summary>
/// <param name="PerOutput">The errors of each output, in vector order.</param>
/// <param name="MeanAbsoluteError">Mean |label − score| over every row and output.</param>
/// <param name="RootMeanSquaredError">√(mean squared error) over every row and output.</param>
/// <param name="RowCount">The rows evaluated.</param>
public sealed record MultiOutputRegressionMetrics(IReadOnlyList<RegressionOutputMetrics> PerOutput, double MeanAbsoluteError, double RootMeanSquaredError, long RowCount);

/// <summary>
/// Evaluation of models that predict a vector of values (a vector label and a vector Score of the same size, such as a
/// forecast of the next several steps), which ML.NET's <c>Regression.Evaluate</c> does not read.
/// </summary>
public static class MultiOutputRegressionEvaluation
{
    /// <summary>Each output's mean absolute error, RMSE and R², and the averages over all outputs.</summary>
    /// <param name="catalog">The regression catalog (<c>ml.Regression</c>).</param>
    /// <param name="data">Scored data, e.g. <c>model.Transform(testData)</c>.</param>
    /// <param name="labelColumnName">The true values: a known-size vector of Single.</param>
    /// <param name="scoreColumnName">The predictions: a vector of Single of the label's size.</param>
    public static MultiOutputRegressionMetrics EvaluateMultiOutput(this RegressionCatalog catalog, IDataView data, string labelColumnName = "Label", string scoreColumnName = "Score")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        var label = RequireVector(data.Schema, labelColumnName, "Label", nameof(labelColumnName));
        var score = RequireVector(data.Schema, scoreColumnName, "Score", nameof(scoreColumnName));
        var size = ((VectorDataViewType)label.Type).Size;
        if (((VectorDataViewType)score.Type).Size != size)
            throw new ArgumentException(
                $"Score column '{scoreColumnName}' has {((VectorDataViewType)score.Type).Size} values per row but label column '{labelColumnName}' has {size}; they must match.",
                nameof(scoreColumnName));

        var absoluteErrors = new double[size];
        var squaredErrors = new double[size];
        var labelSums = new double[size];
        var labelSquares = new double[size];
        var labels = new float[size];
        var scores = new float[size];
        VBuffer<float> labelBuffer = default, scoreBuffer = default;
        long rows = 0;
        using (var cursor = data.GetRowCursor([label, score]))
        {
            var labelGetter = cursor.GetGetter<VBuffer<float>>(label);
            var scoreGetter = cursor.GetGetter<VBuffer<float>>(score);
            while (cursor.MoveNext())
            {
                labelGetter(ref labelBuffer);
                scoreGetter(ref scoreBuffer);
                labelBuffer.CopyTo(labels);
                scoreBuffer.CopyTo(scores);
                for (var i = 0; i < size; i++)
                {
                    if (!float.IsFinite(labels[i]) || !float.IsFinite(scores[i]))
                        throw new InvalidDataException(
                            $"Row {rows}, slot {i}: label '{labelColumnName}' is {labels[i]} and score '{scoreColumnName}' is {scores[i]}; both must be finite.");
                    var error = (double)labels[i] - scores[i];
                    absoluteErrors[i] += Math.Abs(error);
                    squaredErrors[i] += error * error;
                    labelSums[i] += labels[i];
                    labelSquares[i] += (double)labels[i] * labels[i];
                }
                rows++;
            }
        }
        if (rows == 0)
            throw new ArgumentException("The data has no rows to evaluate.", nameof(data));

        var perOutput = Enumerable.Range(0, size).Select(i =>
        {
            var deviation = labelSquares[i] - labelSums[i] * labelSums[i] / rows;
            return new RegressionOutputMetrics(absoluteErrors[i] / rows, Math.Sqrt(squaredErrors[i] / rows),
                deviation > 0 ? 1 - squaredErrors[i] / deviation : double.NaN);
        }).ToArray();
        return new MultiOutputRegressionMetrics(perOutput, absoluteErrors.Sum() / (rows * size), Math.Sqrt(squaredErrors.Sum() / (rows * size)), rows);
    }

    private static DataViewSchema.Column RequireVector(DataViewSchema schema, string name, string role, string parameterName)
    {
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(parameterName, $"{role} column '{name}' is not in the data.");
        if (column.Type is not VectorDataViewType { IsKnownSize: true, ItemType: var item } || item != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(parameterName, $"{role} column '{name}' has type {column.Type}; multi-output evaluation needs a known-size vector of Single.");
        return column;
    }
}
