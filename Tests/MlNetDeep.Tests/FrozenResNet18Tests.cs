using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class FrozenResNet18Tests
{
    private static string PhotoFolder => Path.Combine(AppContext.BaseDirectory, "Data", "photos");

    private static ImageRow[] Rows(params string[] files) =>
        files.Select(f => new ImageRow { ImagePath = f, Label = Path.GetFileNameWithoutExtension(f) }).ToArray();

    private static FrozenResNet18Options Options(string folder, bool resize = true) => new()
    {
        ImageFolder = folder,
        ResizeImages = resize,
        Head = new FeedForwardOptions { NumberOfEpochs = 15, Seed = 3, HiddenLayerSizes = [32], ValidationFraction = 0, EarlyStopping = null, BatchSize = 4 },
    };

    private static IEstimator<ITransformer> Pipeline(MLContext ml, FrozenResNet18Options options) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.FrozenResNet18(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    [TestMethod]
    public void TheHeadLearnsOnPretrainedFeaturesAndModelZipHoldsEverything()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows("astronaut.jpg", "chelsea.jpg", "coffee.jpg", "astronaut.jpg", "chelsea.jpg", "coffee.jpg"));

        var model = Pipeline(ml, Options(PhotoFolder)).Fit(data);

        var scored = model.Transform(data);
        CollectionAssert.AreEqual(data.GetColumn<string>("Label").ToArray(), scored.GetColumn<string>("PredictedLabel").ToArray());
        Assert.IsTrue(scored.GetColumn<float[]>("Features").All(f => f.Length == 512), "the backbone's 512 features");
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, data.Schema, folder.File("model.zip"));
        var loaded = new MLContext().Model.Load(folder.File("model.zip"), out _);
        try
        {
            var expected = scored.GetColumn<float[]>("Score").ToArray();
            var actual = loaded.Transform(data).GetColumn<float[]>("Score").ToArray();
            for (var row = 0; row < expected.Length; row++)
                CollectionAssert.AreEqual(expected[row], actual[row], $"row {row}");
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    public void AMissingImageFileIsAnErrorNamingIt()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows("astronaut.jpg", "no-such-photo.jpg"));

        var error = Assert.ThrowsExactly<FileNotFoundException>(() => Pipeline(ml, Options(PhotoFolder)).Fit(data));

        StringAssert.Contains(error.Message, "no-such-photo.jpg");
        StringAssert.Contains(error.Message, "row 1");
    }

    [TestMethod]
    public void AnUnreadableImageFileIsAnErrorNamingIt()
    {
        using var folder = new TemporaryFolder();
        File.Copy(Path.Combine(PhotoFolder, "coffee.jpg"), folder.File("coffee.jpg"));
        File.WriteAllText(folder.File("broken.jpg"), "this is not a JPEG");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows("coffee.jpg", "broken.jpg"));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Pipeline(ml, Options(folder.Path)).Fit(data));

        StringAssert.Contains(error.Message, "broken.jpg");
        StringAssert.Contains(error.Message, "cannot be read as an image");
    }

    [TestMethod]
    public void WithoutResizingEveryImageMustHaveTheBackbonesSize()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows("astronaut.jpg"));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Pipeline(ml, Options(PhotoFolder, resize: false)).Fit(data));

        StringAssert.Contains(error.Message, "astronaut.jpg");
        StringAssert.Contains(error.Message, "256×256");
        StringAssert.Contains(error.Message, "224×224");
    }

    [TestMethod]
    public void APathColumnThatIsNotTextIsRejectedByName()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Blobs(6, seed: 1));
        var options = Options(PhotoFolder);
        options.ImagePathColumnName = "Features";

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.FrozenResNet18(options).Fit(data));

        StringAssert.Contains(error.Message, "'Features'");
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
