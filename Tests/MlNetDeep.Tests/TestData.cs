using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

/// <summary>Small seeded data sets with known structure, so tests can say what a trainer must learn.</summary>
internal static class TestData
{
    public const int FeatureCount = 10;

    /// <summary>Three well-separated Gaussian blobs in 10 dimensions (fixed centres; the seed draws the examples), labelled "a", "b", "c".</summary>
    public static ClassExample[] Blobs(int count, int seed, double spread = 0.6)
    {
        var centerSource = new Random(12345);
        var centers = Enumerable.Range(0, 3).Select(_ => Vector(centerSource, 2.0)).ToArray();
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var c = i % 3;
            var features = centers[c].Select(v => (float)(v + Gaussian(random) * spread)).ToArray();
            return new ClassExample { Label = ((char)('a' + c)).ToString(), Features = features };
        }).ToArray();
    }

    /// <summary>A binary problem whose label is the sign of a fixed linear function of the features.</summary>
    public static BinaryExample[] Linear(int count, int seed)
    {
        var random = new Random(seed);
        var weights = Vector(new Random(12345), 1.0);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var features = Vector(random, 1.0).Select(v => (float)v).ToArray();
            var score = features.Select((f, i) => f * weights[i]).Sum();
            return new BinaryExample { Label = score > 0, Features = features };
        }).ToArray();
    }

    /// <summary>A smooth regression target: a linear term plus a product term, with a little noise.</summary>
    public static RegressionExample[] Smooth(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var features = Vector(random, 1.0).Select(v => (float)v).ToArray();
            var label = 3 * features[0] - 2 * features[1] + 2 * features[2] * features[3] + 0.05 * Gaussian(random);
            return new RegressionExample { Label = (float)label, Features = features };
        }).ToArray();
    }

    /// <summary>Blobs with the label already mapped to a key, as a saved model's input carries no label column.</summary>
    public static IDataView KeyedBlobs(MLContext ml, int count, int seed) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(Blobs(count, 1))).Transform(ml.Data.LoadFromEnumerable(Blobs(count, seed)));

    private static double[] Vector(Random random, double scale) =>
        Enumerable.Range(0, FeatureCount).Select(_ => (random.NextDouble() * 2 - 1) * scale).ToArray();

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

internal sealed class ClassExample
{
    public string Label { get; set; } = "";

    [VectorType(TestData.FeatureCount)]
    public float[] Features { get; set; } = [];
}

internal sealed class BinaryExample
{
    public bool Label { get; set; }

    [VectorType(TestData.FeatureCount)]
    public float[] Features { get; set; } = [];
}

internal sealed class RegressionExample
{
    public float Label { get; set; }

    [VectorType(TestData.FeatureCount)]
    public float[] Features { get; set; } = [];
}

/// <summary>A multiclass example whose label is a class index (0, 1, …) rather than a key.</summary>
internal sealed class NumericLabelExample
{
    public float Label { get; set; }

    [VectorType(TestData.FeatureCount)]
    public float[] Features { get; set; } = [];
}

internal sealed class WeightedExample
{
    public bool Label { get; set; }

    [VectorType(TestData.FeatureCount)]
    public float[] Features { get; set; } = [];

    public float Weight { get; set; }
}

/// <summary>Records every epoch's weights, so tests can compare the returned model with a particular epoch.</summary>
internal sealed class WeightRecorder : TrainingCallback
{
    public List<Dictionary<string, Networks.WeightTensor>> Epochs { get; } = [];

    public override void OnEpochEnd(TrainingContext context, EpochRecord record) => Epochs.Add(Networks.WeightTensor.ReadAll(context.Network));
}

/// <summary>Reports synchronously (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
internal sealed class ProgressLog : IProgress<EpochRecord>
{
    public List<EpochRecord> Records { get; } = [];

    public void Report(EpochRecord value) => Records.Add(value);
}
