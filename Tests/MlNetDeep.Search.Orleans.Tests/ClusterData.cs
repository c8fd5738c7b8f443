using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Search.Orleans.Tests;

public sealed class Example
{
    public string Label { get; set; } = "";

    [VectorType(6)]
    public float[] Features { get; set; } = [];
}

internal static class ClusterData
{
    /// <summary>Writes seeded three-class blobs (keyed label) as an ML.NET binary file, the data workers read by path.</summary>
    public static string WriteBlobs(string folder, int count, int seed)
    {
        var ml = new MLContext(seed: 1);
        var centers = new Random(7);
        var means = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 6).Select(_ => centers.NextDouble() * 2 - 1).ToArray()).ToArray();
        var random = new Random(seed);
        var rows = Enumerable.Range(0, count).Select(i => new Example
        {
            Label = ((char)('a' + i % 3)).ToString(),
            Features = means[i % 3].Select(m => (float)(m + (random.NextDouble() - 0.5) * 1.6)).ToArray(),
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var path = Path.Combine(folder, "train.idv");
        using var stream = File.Create(path);
        ml.Data.SaveAsBinary(keyed, stream);
        return path;
    }

    public static string TemporaryFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnetdeep-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
