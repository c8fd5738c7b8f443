using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests.Evaluators;

/// <summary>Scored data built by hand, in the shapes ML.NET's trainers produce.</summary>
internal static class ScoredRows
{
    /// <summary>
    /// Rows with text labels mapped to keys by <c>MapValueToKey</c> fitted on <paramref name="classes"/> only, so a label
    /// outside them becomes a missing key (0), as unseen test labels do.
    /// </summary>
    public static IDataView WithTextLabels(MLContext ml, string[] classes, params TextLabelScores[] rows)
    {
        var keys = ml.Transforms.Conversion.MapValueToKey("Label")
            .Fit(ml.Data.LoadFromEnumerable(classes.Select(c => new TextLabelScores { Label = c, Score = rows[0].Score })));
        return keys.Transform(ml.Data.LoadFromEnumerable(rows));
    }
}

/// <summary>A multiclass scored row; LoadFromEnumerable reads <see cref="Label"/> as the 0-based class index of a key.</summary>
internal sealed class MulticlassScoredRow
{
    [KeyType(ReferenceData.MulticlassClassCount)]
    public uint Label { get; set; }

    [VectorType(ReferenceData.MulticlassClassCount)]
    public float[] Score { get; set; } = [];
}

internal sealed class BinaryScoredRow
{
    public bool Label { get; set; }

    public float Score { get; set; }

    public float Probability { get; set; }

    public bool PredictedLabel { get; set; }
}

internal sealed class TextLabelScores
{
    public string Label { get; set; } = "";

    [VectorType]
    public float[] Score { get; set; } = [];
}
