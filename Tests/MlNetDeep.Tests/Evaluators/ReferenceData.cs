using System.Text.Json;
using Microsoft.ML;
using MlNetDeep.Tests.NativeLoading;

namespace MlNetDeep.Tests.Evaluators;

/// <summary>
/// Inputs and expected values written by Data/make_reference.py with scikit-learn and SciPy, read from the source tree
/// (CI has no scikit-learn; the stored values are the reference).
/// </summary>
internal static class ReferenceData
{
    /// <summary>All metrics must equal the reference within this.</summary>
    public const double Tolerance = 1e-6;

    private static readonly Lazy<JsonElement> ClassificationJson = new(() => Load("classification.json"));
    private static readonly Lazy<JsonElement> BinaryJson = new(() => Load("binary.json"));
    private static readonly Lazy<JsonElement> GenerativeJson = new(() => Load("generative.json"));
    private static readonly Lazy<JsonElement> TokenClassificationJson = new(() => Load("token-classification.json"));
    private static readonly Lazy<JsonElement> TextClassificationJson = new(() => Load("text-classification.json"));

    public static JsonElement ClassificationReference => ClassificationJson.Value;

    public static JsonElement BinaryReference => BinaryJson.Value;

    public static JsonElement GenerativeReference => GenerativeJson.Value;

    /// <summary>NER tags flattened to tokens (the outside tag is key 0).</summary>
    public static JsonElement TokenClassificationReference => TokenClassificationJson.Value;

    /// <summary>Three classes scored with raw logits.</summary>
    public static JsonElement TextClassificationReference => TextClassificationJson.Value;

    public const int MulticlassClassCount = 6;

    /// <summary>The multiclass reference rows as scored data: a key label of 6 classes and a Score vector of probabilities.</summary>
    public static IDataView MulticlassScored(MLContext ml)
    {
        var inputs = ClassificationReference.GetProperty("inputs");
        var labels = Ints(inputs.GetProperty("labels"));
        var scores = inputs.GetProperty("scores").EnumerateArray().Select(Floats).ToArray();
        return ml.Data.LoadFromEnumerable(labels.Select((label, i) => new MulticlassScoredRow { Label = (uint)label, Score = scores[i] }));
    }

    /// <summary>The binary reference rows as scored data: Boolean label, Score, Probability and PredictedLabel.</summary>
    public static IDataView BinaryScored(MLContext ml)
    {
        var inputs = BinaryReference.GetProperty("inputs");
        var labels = Bools(inputs.GetProperty("labels"));
        var scores = Floats(inputs.GetProperty("scores"));
        var probabilities = Floats(inputs.GetProperty("probabilities"));
        var predicted = Bools(inputs.GetProperty("predicted"));
        return ml.Data.LoadFromEnumerable(labels.Select((label, i) =>
            new BinaryScoredRow { Label = label, Score = scores[i], Probability = probabilities[i], PredictedLabel = predicted[i] }));
    }

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static bool[] Bools(JsonElement array) => array.EnumerateArray().Select(e => e.GetBoolean()).ToArray();

    public static void AssertClose(double expected, double actual, string what) =>
        Assert.AreEqual(expected, actual, Tolerance, $"{what}: expected {expected:R}, got {actual:R}");

    public static void AssertAllClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what)
    {
        Assert.HasCount(expected.Count, actual, $"{what}: length");
        for (var i = 0; i < expected.Count; i++)
            AssertClose(expected[i], actual[i], $"{what}[{i}]");
    }

    private static JsonElement Load(string name)
    {
        var path = Path.Combine(BuildLocations.RepositoryRoot, "Tests", "MlNetDeep.Tests", "Evaluators", "Data", name);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }
}
