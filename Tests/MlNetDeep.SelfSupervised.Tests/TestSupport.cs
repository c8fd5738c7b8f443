using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.SelfSupervised.Tests;

[TestClass]
public static class TestAssembly
{
    /// <summary>The tests train small networks; the allocator settings an application opts in to keep them quick.</summary>
    [AssemblyInitialize]
    public static void OptInToAllocatorSettings(TestContext context) => MlNetDeepRuntime.TuneNativeAllocator();
}

internal static class TestData
{
    /// <summary>The first <paramref name="count"/> images of the Fashion-MNIST subset (28 × 28, values in [0, 1]) with their labels.</summary>
    public static IDataView FashionImages(MLContext ml, int count)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
        var all = ml.Data.LoadIdxImages(Path.Combine(folder, "train-images-idx3-ubyte.gz"), Path.Combine(folder, "train-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);
        return ml.Data.TakeRows(all, count);
    }

    /// <summary>Rows of 12 features around one of three centres (Label = the centre).</summary>
    public static IDataView Blobs(MLContext ml, int count, int seed)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 12).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray()).ToArray();
        var rows = Enumerable.Range(0, count).Select(i =>
        {
            var c = i % 3;
            return new VectorRow { Label = (uint)c, Features = centres[c].Select(v => v + (float)(random.NextDouble() - 0.5)).ToArray() };
        }).ToArray();
        return ml.Data.LoadFromEnumerable(rows);
    }

    public sealed class VectorRow
    {
        public uint Label { get; set; }

        [VectorType(12)]
        public float[] Features { get; set; } = [];
    }
}
