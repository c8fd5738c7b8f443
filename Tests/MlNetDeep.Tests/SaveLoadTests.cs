using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class SaveLoadTests
{
    private static readonly string ScoringProcess = typeof(SaveLoadTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ScoringProcessPath").Value!;

    private static FeedForwardOptions Options() => new() { NumberOfEpochs = 5, Seed = 3, HiddenLayerSizes = [32, 16], DropoutRate = 0.3, BatchNormalization = true };

    [TestMethod]
    public void MulticlassModelScoresTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 300, seed: 2);
        var model = ml.MulticlassClassification.Trainers.FeedForward(Options())
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);

        AssertFreshProcessAgrees(ml, model, data, "multiclass", scored =>
            scored.GetColumn<string>("PredictedLabel").Zip(scored.GetColumn<float[]>("Score"), (label, score) => (label, score)));
    }

    [TestMethod]
    public void BinaryModelScoresTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Linear(300, seed: 2));
        var model = ml.BinaryClassification.Trainers.FeedForward(Options()).Fit(data);

        AssertFreshProcessAgrees(ml, model, data, "binary", scored =>
            scored.GetColumn<bool>("PredictedLabel").Zip(scored.GetColumn<float>("Score"), scored.GetColumn<float>("Probability"))
                .Select(r => (r.First.ToString(), new[] { r.Second, r.Third })));
    }

    [TestMethod]
    public void RegressionModelScoresTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Smooth(300, seed: 2));
        var model = ml.Regression.Trainers.FeedForward(Options()).Fit(data);

        AssertFreshProcessAgrees(ml, model, data, "regression", scored => scored.GetColumn<float>("Score").Select(s => ("", new[] { s })));
    }

    [TestMethod]
    public void ConvolutionalModelScoresTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var images = ConvolutionalNetworkTests.Bars(150, seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(images)).Transform(ml.Data.LoadFromEnumerable(images));
        var options = new ConvolutionalNetworkOptions
        {
            NumberOfEpochs = 2, Seed = 3, BatchSize = 32, HiddenLayerSizes = [16],
            Blocks = [new(4) { Pooling = PoolingKind.Average }, new(8) { Residual = true, Stride = 2, Pooling = PoolingKind.None }],
        };
        var model = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options)
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);

        AssertFreshProcessAgrees(ml, model, data, "multiclass", scored =>
            scored.GetColumn<string>("PredictedLabel").Zip(scored.GetColumn<float[]>("Score"), (label, score) => (label, score)));
    }

    [TestMethod]
    public void TheOnnxFileComputesWhatTheTrainedNetworkComputes()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 300, seed: 2);
        var options = Options();
        options.HiddenLayerSizes = [16, 16, 8];
        options.Activation = ActivationKind.Gelu;
        var model = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data);
        using var folder = new TemporaryFolder();
        model.SaveOnnx(folder.File("model.onnx"));

        var features = data.GetColumn<float[]>("Features").Take(50).ToArray();
        using var network = model.Network.Spec.CreateModule();
        WeightTensor.LoadAll(network, model.Network.Weights);
        network.eval();
        using var session = new InferenceSession(folder.File("model.onnx"));
        foreach (var example in features)
        {
            using var input = tensor(example).unsqueeze(0);
            using var logits = network.forward(input);
            using var expected = nn.functional.softmax(logits, 1);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(example, [example.Length]))]);
            var actual = results.Single(r => r.Name == "Score").AsEnumerable<float>().ToArray();
            var reference = expected.data<float>().ToArray();
            for (var i = 0; i < reference.Length; i++)
                Assert.AreEqual(reference[i], actual[i], 1e-5f);
        }
    }

    [TestMethod]
    public void ASavedModelCanBeTrainedFurther()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 600, seed: 2);
        var options = Options();
        options.NumberOfEpochs = 8;
        var model = ml.MulticlassClassification.Trainers.FeedForward(options).Fit(data);
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, data.Schema, folder.File("model.zip"));

        var network = TrainedNetwork.Load(folder.File("model.zip"));
        var fineTuneOptions = Options();
        fineTuneOptions.NumberOfEpochs = 2;
        fineTuneOptions.HiddenLayerSizes = [7];
        var fineTuned = ml.MulticlassClassification.Trainers.FeedForward(fineTuneOptions).Fit(data, network);
        var fresh = ml.MulticlassClassification.Trainers.FeedForward(fineTuneOptions).Fit(data);

        Assert.AreEqual(model.Network.Spec.ToJson(), fineTuned.Network.Spec.ToJson(), "the saved architecture is kept, whatever the options say");
        Assert.IsLessThan(fresh.History[0].TrainLoss / 2, fineTuned.History[0].TrainLoss, "training continues from the saved weights");
        TrainingEngineTests.AssertSameWeights(model.Network.Weights.Where(w => !w.Key.Contains("running")).ToDictionary(),
            network.Weights.Where(w => !w.Key.Contains("running")).ToDictionary());
    }

    [TestMethod]
    public void ModelFilesThatHoldNoMlNetDeepNetworkAreRejectedByName()
    {
        using var folder = new TemporaryFolder();
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 60, seed: 2);
        var foreign = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 2).Fit(data);
        ml.Model.Save(foreign, data.Schema, folder.File("sdca.zip"));
        File.WriteAllText(folder.File("garbage.zip"), "not a zip");

        var foreignError = Assert.ThrowsExactly<InvalidDataException>(() => TrainedNetwork.Load(folder.File("sdca.zip")));
        var garbageError = Assert.ThrowsExactly<InvalidDataException>(() => TrainedNetwork.Load(folder.File("garbage.zip")));
        var onnxError = Assert.ThrowsExactly<InvalidDataException>(() => TrainedNetwork.FromOnnx([1, 2, 3, 4]));

        StringAssert.Contains(foreignError.Message, "sdca.zip");
        StringAssert.Contains(foreignError.Message, "no MlNetDeep network");
        StringAssert.Contains(garbageError.Message, "garbage.zip");
        StringAssert.Contains(onnxError.Message, "not a valid ONNX model");
    }

    [TestMethod]
    public void SavingOnnxReplacesTheFileWhole()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Regression.Trainers.FeedForward(Options()).Fit(ml.Data.LoadFromEnumerable(TestData.Smooth(100, seed: 2)));
        using var folder = new TemporaryFolder();
        var path = folder.File("model.onnx");
        File.WriteAllText(path, "old");

        model.SaveOnnx(path);

        Assert.AreEqual(model.Network.ToOnnx(model.OnnxInputName).Length, new FileInfo(path).Length);
        CollectionAssert.AreEqual(new[] { "model.onnx" }, Directory.GetFiles(folder.Path).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void AModelDisposedWithItsPredictionEngineSaysSo()
    {
        var ml = new MLContext(seed: 1);
        var rows = TestData.Smooth(100, seed: 2);
        var model = ml.Regression.Trainers.FeedForward(Options()).Fit(ml.Data.LoadFromEnumerable(rows));
        using (var borrowing = ml.Model.CreatePredictionEngine<RegressionExample, RegressionScore>(model, new PredictionEngineOptions { OwnsTransformer = false }))
            borrowing.Predict(rows[0]);
        var expected = ml.Model.CreatePredictionEngine<RegressionExample, RegressionScore>(model, new PredictionEngineOptions { OwnsTransformer = false }).Predict(rows[0]).Score;

        using (var owning = ml.Model.CreatePredictionEngine<RegressionExample, RegressionScore>(model))
            Assert.AreEqual(expected, owning.Predict(rows[0]).Score);

        var error = Assert.ThrowsExactly<ObjectDisposedException>(() => model.Transform(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(error.Message, "PredictionEngine");
    }

    private sealed class RegressionScore
    {
        public float Score { get; set; }
    }

    /// <summary>
    /// Saves <paramref name="model"/>, scores the first 100 rows of <paramref name="data"/> in the scoring process (which
    /// references no TorchSharp) and compares with this process's scores. The input is the float vector column Features,
    /// or the text column <paramref name="textColumn"/> (a text, an image path) when given.
    /// </summary>
    internal static void AssertFreshProcessAgrees(MLContext ml, ITransformer model, IDataView data, string task,
        Func<IDataView, IEnumerable<(string Label, float[] Scores)>> read, string? textColumn = null)
    {
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, data.Schema, folder.File("model.zip"));
        var lines = textColumn is null
            ? data.GetColumn<float[]>("Features").Take(100).Select(f => string.Join('\t', f.Select(v => v.ToString("R", CultureInfo.InvariantCulture))))
            : data.GetColumn<string>(textColumn).Take(100);
        File.WriteAllLines(folder.File("input.tsv"), lines);
        var expected = read(model.Transform(ml.Data.TakeRows(data, 100))).ToArray();

        string[] arguments = [task, folder.File("model.zip"), folder.File("input.tsv"), folder.File("output.tsv")];
        RunScoringProcess(textColumn is null ? arguments : [.. arguments, textColumn, "text"]);

        var actual = File.ReadAllLines(folder.File("output.tsv")).Select(line => line.Split('\t')).ToArray();
        Assert.HasCount(expected.Length, actual);
        for (var row = 0; row < expected.Length; row++)
        {
            Assert.AreEqual(expected[row].Label, actual[row][0], $"row {row}");
            var scores = actual[row].Skip(1).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.HasCount(expected[row].Scores.Length, scores);
            for (var i = 0; i < scores.Length; i++)
                Assert.AreEqual(expected[row].Scores[i], scores[i], 1e-5f, $"row {row}, score {i}");
        }
    }

    private static void RunScoringProcess(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.ArgumentList.Add(ScoringProcess);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(2)), "the scoring process finished");
        Assert.AreEqual(0, process.ExitCode, $"scoring process failed: {output.Result}{error.Result}");
    }
}
