using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class DataBridgeTests
{
    private static (IDataView Data, DataColumns Columns, ExampleTable Table) Read(int count, bool cache)
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, count, seed: 2);
        var columns = new DataColumns(FeatureColumn.Bind(data.Schema, "Features"), LabelColumn.Bind(data.Schema, "Label"), null);
        return (data, columns, ExampleTable.Read(data, columns, cache, "training data", CancellationToken.None));
    }

    /// <summary>The first feature of each example identifies it: every blob example has distinct features.</summary>
    private static List<float[]> EpochOrder(IBatchSource source, int epoch, bool shuffle)
    {
        var epochRows = new List<float[]>();
        using var batches = source.Batches(epoch, shuffle).GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!batches.MoveNext())
                break;
            var features = batches.Current.Features;
            for (long i = 0; i < features.shape[0]; i++)
                epochRows.Add(features[i].data<float>().ToArray());
        }
        return epochRows;
    }

    [TestMethod]
    public void CachedBatchesVisitEveryRowOnceInASeededOrder()
    {
        var (_, _, table) = Read(100, cache: true);
        var rows = Enumerable.Range(0, table.Count).Select(i => (long)i).ToArray();
        using var features = tensor(table.Features!, [table.Count, table.FeatureSize]);
        using var targets = tensor(table.Targets);
        using var source = new CachedBatchSource(features.alias(), targets.alias(), null, Enumerable.Range(0, (int)targets.shape[0]).Select(i => (long)i).ToArray(), batchSize: 32, seed: 5);

        var first = EpochOrder(source, 1, shuffle: true);
        var again = EpochOrder(source, 1, shuffle: true);
        var second = EpochOrder(source, 2, shuffle: true);
        var ordered = EpochOrder(source, 1, shuffle: false);

        Assert.HasCount(100, first);
        CollectionAssert.AreEquivalent(ordered.Select(r => r[0]).ToArray(), first.Select(r => r[0]).ToArray(), "each row exactly once");
        CollectionAssert.AreEqual(first.Select(r => r[0]).ToArray(), again.Select(r => r[0]).ToArray(), "an epoch's order depends only on seed and epoch");
        CollectionAssert.AreNotEqual(first.Select(r => r[0]).ToArray(), second.Select(r => r[0]).ToArray(), "epochs are shuffled differently");
        CollectionAssert.AreEqual(table.Features!.Where((_, i) => i % table.FeatureSize == 0).ToArray(), ordered.Select(r => r[0]).ToArray());
    }

    [TestMethod]
    public void StreamingBatchesVisitTheChosenRowsOnceWithABoundedShuffle()
    {
        var (data, columns, table) = Read(200, cache: false);
        var rows = Enumerable.Range(0, 200).Where(i => i % 4 != 0).Select(i => (long)i).ToArray();
        using var source = new StreamingBatchSource(data, columns.Features, rows, table, ScalarType.Int64, batchSize: 16, bufferSize: 20, seed: 3, CPU);
        var (_, _, cached) = Read(200, cache: true);
        var expected = rows.Select(r => cached.Features![(int)r * cached.FeatureSize]).ToArray();

        var first = EpochOrder(source, 1, shuffle: true).Select(r => r[0]).ToArray();
        var again = EpochOrder(source, 1, shuffle: true).Select(r => r[0]).ToArray();
        var unshuffled = EpochOrder(source, 1, shuffle: false).Select(r => r[0]).ToArray();

        CollectionAssert.AreEquivalent(expected, first);
        CollectionAssert.AreEqual(first, again);
        CollectionAssert.AreNotEqual(expected, first);
        CollectionAssert.AreEqual(expected, unshuffled);
    }

    [TestMethod]
    public void StreamingTargetsAndWeightsFollowTheirRows()
    {
        var (data, columns, table) = Read(60, cache: false);
        var rows = Enumerable.Range(0, 60).Select(i => (long)i).ToArray();
        using var source = new StreamingBatchSource(data, columns.Features, rows, table, ScalarType.Float32, batchSize: 7, bufferSize: 10, seed: 3, CPU);
        var (_, _, cached) = Read(60, cache: true);
        var targetByFirstFeature = Enumerable.Range(0, 60).ToDictionary(i => cached.Features![i * cached.FeatureSize], i => cached.Targets[i]);

        using var batches = source.Batches(1, shuffle: true).GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!batches.MoveNext())
                break;
            var batch = batches.Current;
            for (long i = 0; i < batch.Size; i++)
                Assert.AreEqual(targetByFirstFeature[batch.Features[i, 0].item<float>()], batch.Targets[i].item<float>());
        }
    }

    [TestMethod]
    public void ValidationSplitIsStratifiedDisjointAndSeeded()
    {
        var targets = Enumerable.Range(0, 1000).Select(i => (float)(i < 700 ? 0 : i < 900 ? 1 : 2)).ToArray();

        var (train, validation) = ValidationSplit.Split(targets.Length, targets, 0.1, seed: 4);
        var (_, again) = ValidationSplit.Split(targets.Length, targets, 0.1, seed: 4);
        var (_, other) = ValidationSplit.Split(targets.Length, targets, 0.1, seed: 5);

        Assert.AreEqual(1000, train.Length + validation.Length);
        Assert.IsEmpty(train.Intersect(validation));
        CollectionAssert.AreEqual(new[] { 70, 20, 10 }, validation.GroupBy(r => targets[r]).OrderBy(g => g.Key).Select(g => g.Count()).ToArray());
        CollectionAssert.AreEqual(validation, again);
        CollectionAssert.AreNotEqual(validation, other);
    }

    [TestMethod]
    public void ValidationSplitKeepsATrainingExampleOfEveryClass()
    {
        var targets = new float[] { 0, 0, 0, 0, 1, 1, 2 };

        var (train, _) = ValidationSplit.Split(targets.Length, targets, 0.5, seed: 1);

        CollectionAssert.AreEquivalent(new float[] { 0, 1, 2 }, train.Select(r => targets[r]).Distinct().ToArray());
    }

    [TestMethod]
    public void FeatureStatisticsAreThoseOfTheTrainingRows()
    {
        var (data, columns, table) = Read(90, cache: true);
        var rows = new long[] { 3, 10, 50 };
        var (_, _, streamed) = Read(90, cache: false);

        var cachedStatistics = FeatureStatistics.Compute(data, columns.Features, table, rows);
        var streamedStatistics = FeatureStatistics.Compute(data, columns.Features, streamed, rows);

        var first = rows.Select(r => (double)table.Features![(int)r * table.FeatureSize]).ToArray();
        var mean = first.Average();
        Assert.AreEqual(mean, cachedStatistics.Mean[0], 1e-6);
        Assert.AreEqual(Math.Sqrt(first.Select(v => (v - mean) * (v - mean)).Average()), cachedStatistics.Std[0], 1e-6);
        CollectionAssert.AreEqual(cachedStatistics.Mean, streamedStatistics.Mean);
    }

    [TestMethod]
    public void IdxImagesLoadWithTheirShapeAndLabels()
    {
        var ml = new MLContext();
        var folder = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");

        var data = ml.Data.LoadIdxImages(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);

        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 28, 28), data.Schema["Features"].Type);
        var labels = data.GetColumn<string>("Label").ToArray();
        Assert.HasCount(1000, labels);
        CollectionAssert.IsSubsetOf(labels.Distinct().ToArray(), IdxImages.FashionMnistClassNames.ToArray());
        var pixels = data.GetColumn<float[]>("Features").First();
        Assert.IsTrue(pixels.All(p => p is >= 0 and <= 1) && pixels.Any(p => p > 0));
    }

    [TestMethod]
    public void TruncatedOrForeignIdxFilesAreRejectedByName()
    {
        using var folder = new TemporaryFolder();
        var source = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");
        var labels = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz");
        var truncated = folder.File("truncated-images-idx3-ubyte");
        using (var input = new GZipStream(File.OpenRead(source), CompressionMode.Decompress))
        using (var output = File.Create(truncated))
        {
            var buffer = new byte[5000];
            input.ReadExactly(buffer);
            output.Write(buffer);
        }
        var ml = new MLContext();

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadIdxImages(truncated, labels));
        StringAssert.Contains(error.Message, truncated);
        var foreign = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadIdxImages(labels, labels));
        StringAssert.Contains(foreign.Message, labels);
    }
}
