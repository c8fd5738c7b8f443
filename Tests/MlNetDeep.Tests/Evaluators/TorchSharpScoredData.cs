using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests.Evaluators;

/// <summary>
/// Scored data in exactly the schemas Microsoft.ML.TorchSharp 0.24.0's trainers write (read from its source and checked
/// against the estimators' output schemas in <c>ConsumerProjectTests</c>): the same column names, types, key counts and
/// annotations. Their models download weights at run time, so the tests build the scored columns by hand.
/// </summary>
internal static class TorchSharpScoredData
{
    /// <summary>
    /// TextClassification: <c>Label</c> Key&lt;UInt32, n&gt; with key values, <c>PredictedLabel</c> the same key type
    /// and key values, <c>Score</c> Vector&lt;Single, n&gt; of raw logits with slot names and the multiclass score
    /// annotations.
    /// </summary>
    public static IDataView TextClassification(MLContext ml, string[] classes, IReadOnlyList<(uint Label, float[] Logits)> rows)
    {
        var definition = SchemaDefinition.Create(typeof(TextClassificationRow));
        var key = new KeyDataViewType(typeof(uint), classes.Length);
        definition[nameof(TextClassificationRow.Label)].ColumnType = key;
        AddKeyValues(definition[nameof(TextClassificationRow.Label)], classes);
        definition[nameof(TextClassificationRow.PredictedLabel)].ColumnType = key;
        AddKeyValues(definition[nameof(TextClassificationRow.PredictedLabel)], classes);
        var score = definition[nameof(TextClassificationRow.Score)];
        score.ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes.Length);
        var names = new VBuffer<ReadOnlyMemory<char>>(classes.Length, classes.Select(c => c.AsMemory()).ToArray());
        score.AddAnnotation("SlotNames", names, new VectorDataViewType(TextDataViewType.Instance, classes.Length));
        score.AddAnnotation("TrainingLabelValues", names, new VectorDataViewType(TextDataViewType.Instance, classes.Length));
        AddScoreKind(score);
        return ml.Data.LoadFromEnumerable(rows.Select(r => new TextClassificationRow
        {
            Sentence1 = "a sentence",
            // LoadFromEnumerable stores a scalar key as the 0-based index + 1 (a vector of keys as given): raw keys are
            // 1-based, as ML.NET's predicted label, the highest logit's index + 1.
            Label = r.Label,
            PredictedLabel = (uint)Array.IndexOf(r.Logits, r.Logits.Max()),
            Score = r.Logits,
        }), definition);
    }

    /// <summary>
    /// NamedEntityRecognition: <c>Label</c> and <c>PredictedLabel</c> variable vectors of Key&lt;UInt32, n&gt;, one per
    /// word, both with the label's key values; a raw value of 0 is a missing key (the outside tag left out of the keys).
    /// </summary>
    public static IDataView NamedEntityRecognition(MLContext ml, string[] classes, IReadOnlyList<(uint[] Labels, uint[] Predicted)> rows)
    {
        var definition = SchemaDefinition.Create(typeof(NerRow));
        var keys = new VectorDataViewType(new KeyDataViewType(typeof(uint), classes.Length));
        foreach (var name in new[] { nameof(NerRow.Label), nameof(NerRow.PredictedLabel) })
        {
            definition[name].ColumnType = keys;
            AddKeyValues(definition[name], classes);
        }
        return ml.Data.LoadFromEnumerable(rows.Select(r => new NerRow { Sentence = "words", Label = r.Labels, PredictedLabel = r.Predicted }), definition);
    }

    /// <summary>
    /// ObjectDetection with its training columns under the trainer's default names: <c>Label</c> (variable vector of
    /// Key&lt;UInt32, n&gt; with key values), <c>BoundingBoxes</c> (variable vector of Single, x0, y0, x1, y1 per box),
    /// and its outputs <c>PredictedLabel</c> (variable
    /// vector of keys with the label's key values), <c>PredictedBoundingBoxes</c> (x0, y0, x1, y1 per detection) and
    /// <c>Score</c> (one confidence per detection, with the multiclass score annotations). Raw key values are 1-based.
    /// </summary>
    public static IDataView ObjectDetection(MLContext ml, string[] classes, IReadOnlyList<DetectionRow> rows)
    {
        var definition = SchemaDefinition.Create(typeof(DetectionRow));
        var keys = new VectorDataViewType(new KeyDataViewType(typeof(uint), classes.Length));
        foreach (var name in new[] { nameof(DetectionRow.Label), nameof(DetectionRow.PredictedLabel) })
        {
            definition[name].ColumnType = keys;
            AddKeyValues(definition[name], classes);
        }
        foreach (var name in new[] { nameof(DetectionRow.BoundingBoxes), nameof(DetectionRow.PredictedBoundingBoxes), nameof(DetectionRow.Score) })
            definition[name].ColumnType = new VectorDataViewType(NumberDataViewType.Single);
        var score = definition[nameof(DetectionRow.Score)];
        score.AddAnnotation("TrainingLabelValues", new VBuffer<ReadOnlyMemory<char>>(classes.Length, classes.Select(c => c.AsMemory()).ToArray()),
            new VectorDataViewType(TextDataViewType.Instance, classes.Length));
        AddScoreKind(score);
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    private static void AddKeyValues(SchemaDefinition.Column column, string[] classes) =>
        column.AddAnnotation("KeyValues", new VBuffer<ReadOnlyMemory<char>>(classes.Length, classes.Select(c => c.AsMemory()).ToArray()),
            new VectorDataViewType(TextDataViewType.Instance, classes.Length));

    private static void AddScoreKind(SchemaDefinition.Column score)
    {
        score.AddAnnotation("ScoreColumnKind", "MulticlassClassification".AsMemory(), TextDataViewType.Instance);
        score.AddAnnotation("ScoreValueKind", "Score".AsMemory(), TextDataViewType.Instance);
        score.AddAnnotation("ScoreColumnSetId", 1u, new KeyDataViewType(typeof(uint), int.MaxValue));
    }

    internal sealed class TextClassificationRow
    {
        public string Sentence1 { get; set; } = "";

        public uint Label { get; set; }

        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }

    internal sealed class NerRow
    {
        public string Sentence { get; set; } = "";

        public uint[] Label { get; set; } = [];

        public uint[] PredictedLabel { get; set; } = [];
    }

    internal sealed class DetectionRow
    {
        public string ImagePath { get; set; } = "";

        public uint[] Label { get; set; } = [];

        public float[] BoundingBoxes { get; set; } = [];

        public uint[] PredictedLabel { get; set; } = [];

        public float[] PredictedBoundingBoxes { get; set; } = [];

        public float[] Score { get; set; } = [];
    }
}
