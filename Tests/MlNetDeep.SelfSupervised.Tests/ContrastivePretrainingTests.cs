using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.SelfSupervised.Tests;

[TestClass]
public sealed class ContrastivePretrainingTests
{
    private static readonly string ScoringProcess = typeof(ContrastivePretrainingTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ScoringProcessPath").Value!;

    public TestContext TestContext { get; set; } = null!;

    private static ContrastivePretrainingOptions TabularOptions(int epochs = 3) => new()
    {
        Encoder = new FeedForwardOptions { HiddenLayerSizes = [32, 16], DropoutRate = 0 },
        ProjectionHiddenSize = 16,
        ProjectionSize = 8,
        BatchSize = 32,
        NumberOfEpochs = epochs,
        LearningRate = 3e-3,
        Seed = 5,
    };

    [TestMethod]
    public void TabularPretrainingLowersTheContrastiveLossAndAddsAnEmbeddingOfTheEncodersWidth()
    {
        var ml = new MLContext(1);
        var data = TestData.Blobs(ml, 192, seed: 2);
        using var featurizer = ml.Transforms.ContrastivePretraining(TabularOptions(epochs: 6)).Fit(data);
        Assert.IsLessThan(featurizer.History[0].TrainLoss, featurizer.History[^1].TrainLoss);
        var embeddings = featurizer.Transform(data).GetColumn<float[]>("Embedding").ToArray();
        Assert.HasCount(192, embeddings);
        Assert.IsTrue(embeddings.All(e => e.Length == 16 && e.All(float.IsFinite)));
    }

    [TestMethod]
    public void ImagePretrainingGivesOneEmbeddingPerImage()
    {
        var ml = new MLContext(1);
        var images = TestData.FashionImages(ml, 64);
        var options = new ContrastivePretrainingOptions
        {
            Encoder = new ConvolutionalNetworkOptions { Blocks = [new(4), new(8)], HiddenLayerSizes = [16] },
            ProjectionHiddenSize = 0,
            ProjectionSize = 8,
            BatchSize = 32,
            NumberOfEpochs = 1,
            Seed = 3,
        };
        using var featurizer = ml.Transforms.ContrastivePretraining(options).Fit(images);
        var embeddings = featurizer.Transform(images).GetColumn<float[]>("Embedding").ToArray();
        Assert.HasCount(64, embeddings);
        Assert.IsTrue(embeddings.All(e => e.Length == 16));
    }

    [TestMethod]
    public void TheSavedFeaturizerGivesTheSameEmbeddingsInAProcessWithoutTorchSharp()
    {
        var ml = new MLContext(1);
        var data = ml.Data.TakeRows(TestData.Blobs(ml, 96, seed: 4), 96);
        var options = TabularOptions(epochs: 1);
        // The scoring process reads a vector regression's output column, Score.
        options.EmbeddingColumnName = "Score";
        using var featurizer = ml.Transforms.ContrastivePretraining(options).Fit(data);
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-contrastive-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "featurizer.zip");
            ml.Model.Save(featurizer, data.Schema, modelPath);
            var rows = ml.Data.CreateEnumerable<TestData.VectorRow>(data, reuseRowObject: false).Take(5).ToArray();
            var expected = featurizer.Transform(ml.Data.TakeRows(data, 5)).GetColumn<float[]>("Score").ToArray();
            var input = Path.Combine(folder, "input.tsv");
            var output = Path.Combine(folder, "output.tsv");
            File.WriteAllLines(input, rows.Select(r => string.Join('\t', r.Features.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
            RunScoringProcess("vector-regression", modelPath, input, output);
            var actual = File.ReadAllLines(output).Select(l => l.Split('\t').Skip(1).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
            for (var row = 0; row < expected.Length; row++)
            {
                Assert.HasCount(expected[row].Length, actual[row]);
                for (var i = 0; i < expected[row].Length; i++)
                    Assert.AreEqual(expected[row][i], actual[row][i], 1e-5f, $"row {row}, value {i}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void FineTuningWithAFrozenEncoderKeepsThePretrainedEncoderWeightsAndTrainsTheHead()
    {
        var ml = new MLContext(1);
        var data = TestData.Blobs(ml, 96, seed: 6);
        var options = TabularOptions(epochs: 1);
        using var featurizer = ml.Transforms.ContrastivePretraining(options).Fit(data);
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-finetune-").FullName;
        try
        {
            var encoderPath = Path.Combine(folder, "encoder.zip");
            ml.Model.Save(featurizer, data.Schema, encoderPath);
            var fineTune = new FeedForwardOptions
            {
                HiddenLayerSizes = [32, 16], DropoutRate = 0, NumberOfEpochs = 5, BatchSize = 16, LearningRate = 1e-2, ValidationFraction = 0, EarlyStopping = null, Seed = 9,
                PretrainedEncoderPath = encoderPath, EncoderFrozenEpochs = 5,
            };
            var labelled = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
            using var model = ml.MulticlassClassification.Trainers.FeedForward(fineTune).Fit(labelled);
            // The classifier's first layers, cut out as a featurizer, embed exactly as the pretrained encoder does.
            using var tunedEncoder = EmbeddingTransformer.FromNetwork(ml, model.Network, featurizer.Encoder.Spec.Layers.Count, data);
            var pretrained = featurizer.Transform(data).GetColumn<float[]>("Embedding").ToArray();
            var tuned = tunedEncoder.Transform(data).GetColumn<float[]>("Embedding").ToArray();
            for (var row = 0; row < pretrained.Length; row++)
                CollectionAssert.AreEqual(pretrained[row], tuned[row], $"row {row}");
            Assert.IsGreaterThan(0.8, Accuracy(ml, model, labelled), "the head trained on the frozen embeddings");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void FineTuningFromAnEncoderOfOtherLayersIsAnErrorNamingTheOption()
    {
        var ml = new MLContext(1);
        var data = TestData.Blobs(ml, 64, seed: 7);
        using var featurizer = ml.Transforms.ContrastivePretraining(TabularOptions(epochs: 1)).Fit(data);
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-mismatch-").FullName;
        try
        {
            var encoderPath = Path.Combine(folder, "encoder.zip");
            ml.Model.Save(featurizer, data.Schema, encoderPath);
            var labelled = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
            var other = new FeedForwardOptions { HiddenLayerSizes = [64], NumberOfEpochs = 1, PretrainedEncoderPath = encoderPath };
            var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.FeedForward(other).Fit(labelled));
            StringAssert.Contains(error.Message, "PretrainedEncoderPath");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Accuracy(MLContext ml, DeepPredictionTransformer model, IDataView data) =>
        ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy;

    private void RunScoringProcess(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(ScoringProcess);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(TestContext.CancellationToken);
        var output = process.StandardOutput.ReadToEndAsync(TestContext.CancellationToken);
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(2)), "the scoring process finished");
        Assert.AreEqual(0, process.ExitCode, $"scoring process failed: {output.Result}{error.Result}");
    }
}
