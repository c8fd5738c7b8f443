using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Search.Tests;

[TestClass]
public static class TestAssembly
{
    /// <summary>The tests train many small networks; the allocator settings an application opts in to keep them quick.</summary>
    [AssemblyInitialize]
    public static void OptInToAllocatorSettings(TestContext context) => MlNetDeepRuntime.TuneNativeAllocator();
}

public sealed class Example
{
    public string Label { get; set; } = "";

    [VectorType(6)]
    public float[] Features { get; set; } = [];
}

public sealed class RegressionExample
{
    public float Label { get; set; }

    [VectorType(6)]
    public float[] Features { get; set; } = [];
}

/// <summary>Small seeded data: three overlapping Gaussian blobs in 6 dimensions, label mapped to a key.</summary>
internal static class SearchData
{
    public static IDataView Blobs(MLContext ml, int count, int seed)
    {
        var centers = new Random(7);
        var means = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 6).Select(_ => centers.NextDouble() * 2 - 1).ToArray()).ToArray();
        var random = new Random(seed);
        var rows = Enumerable.Range(0, count).Select(i => new Example
        {
            Label = ((char)('a' + i % 3)).ToString(),
            Features = means[i % 3].Select(m => (float)(m + Gaussian(random) * 0.8)).ToArray(),
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(data).Transform(data);
    }

    public static IDataView Regression(MLContext ml, int count, int seed)
    {
        var random = new Random(seed);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(_ =>
        {
            var features = Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new RegressionExample { Features = features, Label = 2 * features[0] - features[1] };
        }).ToArray());
    }

    /// <summary>Options for quick trials: 2 epochs, batch 32, one thread, a 25% validation split, no schedule.</summary>
    public static FeedForwardOptions QuickTemplate(int epochs = 2) => new()
    {
        NumberOfEpochs = epochs, BatchSize = 32, NumberOfThreads = 1, ValidationFraction = 0.25,
        LearningRateSchedule = null, EarlyStopping = null,
    };

    public static FeedForwardSpace SmallSpace(int epochs = 2) => new(QuickTemplate(epochs), maxLayers: 2, widths: [8, 16]);

    public static string TemporaryFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnetdeep-search-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
