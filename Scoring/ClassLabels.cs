using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep;

/// <summary>
/// Pairs a classification model's <c>Score</c> vector with the class labels. ML.NET's ONNX scorer cannot attach slot names
/// to <c>Score</c>, so the labels come from <c>PredictedLabel</c>'s key values, whose order is the order of the scores.
/// </summary>
public static class ClassLabels
{
    /// <summary>
    /// The class labels in Score order, read from the <c>PredictedLabel</c> column of a scored schema (e.g.
    /// <c>model.GetOutputSchema(data.Schema)</c>). When <c>MapKeyToValue</c> has turned PredictedLabel into values, the
    /// key column it replaced is still in the schema (hidden) and is read instead.
    /// </summary>
    public static string[] GetClassLabels(this DataViewSchema scoredSchema, string predictedLabelColumnName = "PredictedLabel")
    {
        var columns = scoredSchema.Where(c => c.Name == predictedLabelColumnName).ToArray();
        if (columns.Length == 0)
            throw new ArgumentOutOfRangeException(nameof(predictedLabelColumnName), $"The schema has no column '{predictedLabelColumnName}'.");
        var classes = columns.Reverse().Select(Scoring.ClassValues.FromKeyAnnotation).FirstOrDefault(c => c is not null)
            ?? throw new ArgumentOutOfRangeException(nameof(predictedLabelColumnName), $"Column '{predictedLabelColumnName}' has no key values to name the classes.");
        return classes.Names();
    }

    /// <summary>Every class label with its score, in Score order.</summary>
    public static IReadOnlyList<KeyValuePair<string, float>> GetLabelScores(this DataViewSchema scoredSchema, IReadOnlyList<float> scores, string predictedLabelColumnName = "PredictedLabel")
    {
        var labels = scoredSchema.GetClassLabels(predictedLabelColumnName);
        if (labels.Length != scores.Count)
            throw new ArgumentException($"The model has {labels.Length} classes but {scores.Count} scores were given.", nameof(scores));
        return labels.Select((label, i) => KeyValuePair.Create(label, scores[i])).ToArray();
    }
}
