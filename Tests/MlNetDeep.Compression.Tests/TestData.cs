using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Compression.Tests;

/// <summary>Small seeded data sets with known structure.</summary>
internal static class TestData
{
    public const int FeatureCount = 10;
    public const int ImageSide = 8;

    /// <summary>
    /// Three Gaussian blobs in 10 dimensions (fixed centres; the seed draws the examples), labelled "a", "b", "c" — or, with
    /// <paramref name="rotateLabels"/>, "b", "c", "a" — the label mapped to a key (key values in alphabetical order).
    /// </summary>
    public static IDataView Blobs(MLContext ml, int count, int seed, double spread = 0.9, bool rotateLabels = false)
    {
        var centers = new Random(12345);
        var centres = Enumerable.Range(0, 3).Select(_ => Vector(centers, 2.0)).ToArray();
        var random = new Random(seed);
        var rows = Enumerable.Range(0, count).Select(i => new ClassRow
        {
            Label = ((char)('a' + (i + (rotateLabels ? 1 : 0)) % 3)).ToString(),
            Features = centres[i % 3].Select(v => (float)(v + Gaussian(random) * spread)).ToArray(),
        }).ToArray();
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue);
        return keyed.Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
    }

    /// <summary>A smooth regression target with an interaction term and a little noise.</summary>
    public static IDataView Smooth(MLContext ml, int count, int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, count).Select(_ =>
        {
            var x = Vector(random, 1.0).Select(v => (float)v).ToArray();
            return new RegressionRow { Label = (float)(3 * x[0] - 2 * x[1] + 2 * x[2] * x[3] + 0.05 * Gaussian(random)), Features = x };
        }).ToArray();
        return ml.Data.LoadFromEnumerable(rows);
    }

    /// <summary>8×8 one-channel images of a bright horizontal, vertical or diagonal bar on noise (classes "h", "v", "d"), label keyed.</summary>
    public static IDataView Bars(MLContext ml, int count, int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, count).Select(i =>
        {
            var pixels = Enumerable.Range(0, ImageSide * ImageSide).Select(_ => (float)(random.NextDouble() * 0.3)).ToArray();
            var (kind, at) = (i % 3, random.Next(1, ImageSide - 1));
            for (var k = 0; k < ImageSide; k++)
            {
                var (row, column) = kind switch { 0 => (at, k), 1 => (k, at), _ => (k, k) };
                pixels[row * ImageSide + column] = 1;
            }
            return new ImageRow { Label = "hvd"[kind].ToString(), Features = pixels };
        }).ToArray();
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue);
        return keyed.Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
    }

    private static double[] Vector(Random random, double scale) =>
        Enumerable.Range(0, FeatureCount).Select(_ => (random.NextDouble() * 2 - 1) * scale).ToArray();

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

internal sealed class ClassRow
{
    public string Label { get; set; } = "";

    [VectorType(TestData.FeatureCount)]
    public float[] Features { get; set; } = [];
}

internal sealed class RegressionRow
{
    public float Label { get; set; }

    [VectorType(TestData.FeatureCount)]
    public float[] Features { get; set; } = [];
}

internal sealed class ImageRow
{
    public string Label { get; set; } = "";

    [VectorType(1, TestData.ImageSide, TestData.ImageSide)]
    public float[] Features { get; set; } = [];
}

internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlnetdeep-compression-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
