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

[TestClass]
public sealed class ImageFolderTests
{
    [TestMethod]
    public void AFolderPerClassGivesOneRowPerImageLabelledWithItsFolder()
    {
        using var folder = new TemporaryFolder();
        foreach (var (label, file) in new[] { ("cat", "b.png"), ("cat", "a.jpg"), ("dog", "c.JPEG"), ("dog", "notes.txt") })
        {
            Directory.CreateDirectory(Path.Combine(folder.Path, label));
            File.WriteAllText(Path.Combine(folder.Path, label, file), "");
        }
        var ml = new MLContext(seed: 1);

        var rows = ml.Data.LoadImageFolder(folder.Path);

        CollectionAssert.AreEqual(new[] { "cat", "cat", "dog" }, rows.GetColumn<string>("Label").ToArray());
        CollectionAssert.AreEqual(new[] { "a.jpg", "b.png", "c.JPEG" }, rows.GetColumn<string>("ImagePath").Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void AFolderWithoutClassFoldersIsRejectedWithTheLayoutItNeeds()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("loose.jpg"), "");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Data.LoadImageFolder(folder.Path));

        StringAssert.Contains(error.Message, folder.Path);
        StringAssert.Contains(error.Message, "one subfolder per class");
    }
}

[TestClass]
public sealed class PretrainedResNet18ImageFileTests
{
    [TestMethod]
    public void AMissingImageFileInTheImagePipelineIsAnErrorNamingIt()
    {
        var ml = new MLContext(seed: 1);
        var photos = Path.Combine(AppContext.BaseDirectory, "Data", "photos");
        var data = ml.Data.LoadFromEnumerable(new[] { "astronaut.jpg", "missing-photo.jpg" }.Select(f => new ImageFileRow { ImagePath = Path.Combine(photos, f), Label = f }));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", null, "ImagePath"))
            .Append(ml.Transforms.ResizeImages("Image", 32, 32))
            .Append(ml.Transforms.ExtractPixels("Features", "Image"))
            .Append(ml.MulticlassClassification.Trainers.PretrainedResNet18(new PretrainedResNet18Options { NumberOfEpochs = 1, ValidationFraction = 0 }));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => pipeline.Fit(data));

        StringAssert.Contains(error.Message, "training data");
        StringAssert.Contains(error.Message, "missing-photo.jpg");
    }

    private sealed class ImageFileRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
