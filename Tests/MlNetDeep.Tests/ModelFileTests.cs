using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Networks;

namespace MlNetDeep.Tests;

/// <summary>Models, ONNX files and reports are written beside the target and renamed into place; unloadable files are named with the problem.</summary>
[TestClass]
public sealed class ModelFileTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static (DeepPredictionTransformer Model, IDataView Data) SmallModel()
    {
        var data = Ml.Data.LoadFromEnumerable(TestData.Smooth(60, seed: 2));
        return (Ml.Regression.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 2, Seed = 1, HiddenLayerSizes = [8] }).Fit(data), data);
    }

    /// <summary>A chain that ML.NET fails to save after it has begun writing: a custom mapping without a contract name cannot be saved.</summary>
    private static ITransformer UnsaveableChain(DeepPredictionTransformer model, IDataView data)
    {
        var mapping = Ml.Transforms.CustomMapping<ScoreRow, DoubledRow>((input, output) => output.Doubled = 2 * input.Score, contractName: null)
            .Fit(model.Transform(data));
        return new TransformerChain<ITransformer>(model, mapping);
    }

    private static string[] FileNames(TemporaryFolder folder) => Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order().ToArray()!;

    [TestMethod]
    public void SaveSafelyWritesAModelThatLoadsAndNothingBesideIt()
    {
        var (model, data) = SmallModel();
        using var folder = new TemporaryFolder();
        var path = folder.File("model.zip");
        File.WriteAllText(path, "an older model");

        Ml.Model.SaveSafely(model, data.Schema, path);

        using var loaded = (IDisposable)Ml.Model.Load(path, out _);
        CollectionAssert.AreEqual(new[] { "model.zip" }, FileNames(folder));
    }

    [TestMethod]
    public void AFailedSaveSafelyKeepsThePreviousModel()
    {
        var (model, data) = SmallModel();
        using var folder = new TemporaryFolder();
        var path = folder.File("model.zip");
        Ml.Model.SaveSafely(model, data.Schema, path);
        var previous = File.ReadAllBytes(path);

        Assert.Throws<Exception>(() => Ml.Model.SaveSafely(UnsaveableChain(model, data), data.Schema, path));

        CollectionAssert.AreEqual(previous, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "model.zip" }, FileNames(folder));
    }

    [TestMethod]
    public void MlNetsOwnSaveLosesThePreviousModelOnTheSameFailure()
    {
        var (model, data) = SmallModel();
        using var folder = new TemporaryFolder();
        var path = folder.File("model.zip");
        Ml.Model.Save(model, data.Schema, path);

        Assert.Throws<Exception>(() => Ml.Model.Save(UnsaveableChain(model, data), data.Schema, path));

        Assert.Throws<Exception>(() => Ml.Model.Load(path, out _));
    }

    [TestMethod]
    public void AnOnnxSaveThatRunsOutOfDiskSpaceLeavesNoPartialFileAndThePreviousOne()
    {
        var (model, _) = SmallModel();
        using var folder = new TemporaryFolder();
        var path = folder.File("model.onnx");
        File.WriteAllText(path, "the previous model");
        // The file written beside the target is Linux's /dev/full, which fails every write with ENOSPC, as a full disk does.
        File.CreateSymbolicLink(path + SafeFile.WritingSuffix, "/dev/full");

        var error = Assert.ThrowsExactly<IOException>(() => model.SaveOnnx(path));

        StringAssert.Contains(error.Message, "model.onnx");
        Assert.AreEqual("the previous model", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { "model.onnx" }, FileNames(folder));
    }

    [TestMethod]
    [DataRow("not a zip", "not a readable zip archive")]
    [DataRow("truncated", "not a readable zip archive")]
    [DataRow("foreign zip", "holds no ML.NET model")]
    public void LoadCheckedNamesTheFileAndTheProblem(string kind, string problem)
    {
        var (model, data) = SmallModel();
        using var folder = new TemporaryFolder();
        var path = folder.File("model.zip");
        Ml.Model.SaveSafely(model, data.Schema, path);
        var good = File.ReadAllBytes(path);
        switch (kind)
        {
            case "not a zip":
                File.WriteAllBytes(path, new Random(1).GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 4096));
                break;
            case "truncated":
                File.WriteAllBytes(path, good[..(good.Length / 2)]);
                break;
            default:
                File.Delete(path);
                using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
                using (var writer = new StreamWriter(archive.CreateEntry("readme.txt").Open()))
                    writer.Write("photos");
                break;
        }

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Ml.Model.LoadChecked(path, out _));

        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, problem);
    }

    [TestMethod]
    public void LoadCheckedNamesAMissingFile()
    {
        using var folder = new TemporaryFolder();

        var error = Assert.ThrowsExactly<FileNotFoundException>(() => Ml.Model.LoadChecked(folder.File("model.zip"), out _));

        StringAssert.Contains(error.Message, folder.File("model.zip"));
    }

    [TestMethod]
    public void TrainedNetworkLoadNamesATruncatedModelFile()
    {
        var (model, data) = SmallModel();
        using var folder = new TemporaryFolder();
        var path = folder.File("model.zip");
        Ml.Model.SaveSafely(model, data.Schema, path);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^200]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => TrainedNetwork.Load(path));

        StringAssert.Contains(error.Message, path);
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    private sealed class DoubledRow
    {
        public float Doubled { get; set; }
    }
}
