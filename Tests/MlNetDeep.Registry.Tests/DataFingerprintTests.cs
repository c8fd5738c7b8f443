using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Registry.Tests;

[TestClass]
public sealed class DataFingerprintTests
{
    private sealed class CsvFlower
    {
        [LoadColumn(0)]
        public string Label { get; set; } = "";

        [LoadColumn(1, 4), VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    [TestMethod]
    public void TheSameRowsGiveTheSameHashFromMemoryAndFromATextFile()
    {
        var ml = new MLContext();
        var flowers = TestModels.Flowers(50, seed: 3);
        var path = Path.Combine(Path.GetTempPath(), $"flowers-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, flowers.Select(f => string.Join(",", f.Features.Select(x => x.ToString("R", CultureInfo.InvariantCulture)).Prepend(f.Label))));
        try
        {
            var fromMemory = DataFingerprint.Compute(ml.Data.LoadFromEnumerable(flowers));
            var fromFile = DataFingerprint.Compute(ml.Data.LoadFromTextFile<CsvFlower>(path, separatorChar: ','), source: path);

            Assert.AreEqual(fromMemory.ContentSha256, fromFile.ContentSha256);
            Assert.AreEqual(path, fromFile.Source);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void TheHashOfAFixedDataSetDoesNotChangeBetweenRunsOrMachines()
    {
        var data = new MLContext().Data.LoadFromEnumerable(new[]
        {
            new Flower { Label = "setosa", Features = [5.1f, 3.5f, 1.4f, 0.2f] },
            new Flower { Label = "virginica", Features = [6.3f, 3.3f, 6.0f, 2.5f] },
        });

        var fingerprint = DataFingerprint.Compute(data);

        // The same bytes hashed by a short Python script that follows the documented encoding give this value too.
        Assert.AreEqual("ee4d42c65b7496228546dd6929495d38f3e264049784df61b69ff33705e790df", fingerprint.ContentSha256);
    }

    [TestMethod]
    public void ChangingOneValueChangesTheHash()
    {
        var ml = new MLContext();
        var flowers = TestModels.Flowers(20, seed: 3);
        var before = DataFingerprint.Compute(ml.Data.LoadFromEnumerable(flowers));
        flowers[13].Features[2] += 1e-6f;

        var after = DataFingerprint.Compute(ml.Data.LoadFromEnumerable(flowers));

        Assert.AreNotEqual(before.ContentSha256, after.ContentSha256);
    }

    [TestMethod]
    public void TheSchemaAndRowCountAreRecorded()
    {
        var data = new MLContext().Data.LoadFromEnumerable(TestModels.Flowers(20, seed: 3));

        var fingerprint = DataFingerprint.Compute(data);

        Assert.AreEqual(20, fingerprint.RowCount);
        CollectionAssert.AreEqual(new[] { new ColumnDescription("Label", "String"), new ColumnDescription("Features", "Vector<Single, 4>") }, fingerprint.Schema.ToArray());
        Assert.IsEmpty(fingerprint.UnhashedColumns);
    }

    private sealed class Event
    {
        public float Value { get; set; }

        public DateTimeOffset[] Times { get; set; } = [];
    }

    [TestMethod]
    public void AColumnOfATypeTheHashCannotReadIsNamedAsLeftOut()
    {
        var data = new MLContext().Data.LoadFromEnumerable(new[] { new Event { Value = 1, Times = [DateTimeOffset.UnixEpoch] } });

        var fingerprint = DataFingerprint.Compute(data);

        CollectionAssert.AreEqual(new[] { "Times" }, fingerprint.UnhashedColumns.ToArray());
        Assert.AreEqual(1, fingerprint.RowCount);
    }

    private sealed class SparseRow
    {
        [VectorType(5)]
        public VBuffer<float> Values { get; set; }
    }

    private sealed class DenseRow
    {
        [VectorType(5)]
        public float[] Values { get; set; } = [];
    }

    [TestMethod]
    public void ASparseVectorHashesLikeTheSameDenseVector()
    {
        var ml = new MLContext();
        var sparse = ml.Data.LoadFromEnumerable(new[] { new SparseRow { Values = new VBuffer<float>(5, 2, [1f, 2f], [1, 3]) } });
        var dense = ml.Data.LoadFromEnumerable(new[] { new DenseRow { Values = [0f, 1f, 0f, 2f, 0f] } });

        Assert.AreEqual(DataFingerprint.Compute(dense).ContentSha256, DataFingerprint.Compute(sparse).ContentSha256);
    }
}
