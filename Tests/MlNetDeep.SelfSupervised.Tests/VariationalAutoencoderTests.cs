using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.SelfSupervised.Tests;

[TestClass]
public sealed class VariationalAutoencoderTests
{
    [TestMethod]
    public void TheNegativeElboFallsOnATinySetOfImages()
    {
        var ml = new MLContext(1);
        var images = TestData.FashionImages(ml, 256);
        var vae = new VariationalAutoencoder(new VariationalAutoencoderOptions { HiddenLayerSizes = [64], LatentSize = 4, BatchSize = 32, NumberOfEpochs = 3, Seed = 2 });
        var model = vae.Fit(images);
        Assert.HasCount(3, model.History);
        Assert.IsLessThan(model.History[0].TrainLoss * 0.9, model.History[^1].TrainLoss);
    }

    [TestMethod]
    public void SamplesAreImagesOfTheTrainingShapeWithPixelsInTheUnitRangeAndSaveAsAPngGrid()
    {
        var ml = new MLContext(1);
        var images = TestData.FashionImages(ml, 64);
        var snapshots = new List<int>();
        var model = new VariationalAutoencoder(new VariationalAutoencoderOptions { HiddenLayerSizes = [32], LatentSize = 2, BatchSize = 32, NumberOfEpochs = 2, Seed = 2 })
            .Fit(images, (record, snapshot) => snapshots.Add(snapshot.History.Count));
        CollectionAssert.AreEqual(new[] { 1, 2 }, snapshots);
        var samples = model.SampleImages(ml, 6, seed: 1);
        var pixels = samples.GetColumn<float[]>("Features").ToArray();
        Assert.HasCount(6, pixels);
        Assert.IsTrue(pixels.All(p => p.Length == 784 && p.All(v => v is >= 0 and <= 1)));
        Assert.AreEqual(28, ((VectorDataViewType)samples.Schema["Features"].Type).Dimensions[0]);
        var path = Path.Combine(Path.GetTempPath(), $"mlnetdeep-vae-grid-{Guid.NewGuid():N}.png");
        try
        {
            ImageGrid.SavePng(pixels, 28, 28, columns: 3, path);
            var header = File.ReadAllBytes(path).Take(4).ToArray();
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, header);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
