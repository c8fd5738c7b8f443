using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;
using WebApi;

namespace MlNetDeep.Serving.Tests;

/// <summary>
/// Small models trained once for all tests, on seeded synthetic 28 × 28 "images" whose class is the brightest of ten pixel
/// bands: two MlNetDeep FeedForward networks (seeds 1 and 2, so their scores differ), a plain ML.NET model (SDCA), and a
/// model that reads another input column.
/// </summary>
[TestClass]
public static class TestModels
{
    private static readonly Dictionary<string, ModelOutput[]> ExpectedByModel = [];

    public static string Folder { get; private set; } = "";

    /// <summary>MlNetDeep FeedForward, seed 1.</summary>
    public static string FeedForwardA { get; private set; } = "";

    /// <summary>MlNetDeep FeedForward, seed 2.</summary>
    public static string FeedForwardB { get; private set; } = "";

    /// <summary>ML.NET's SdcaMaximumEntropy: no MlNetDeep component inside.</summary>
    public static string PlainMlNet { get; private set; } = "";

    /// <summary>Reads a column named Pixels, which ModelInput does not have.</summary>
    public static string OtherInput { get; private set; } = "";

    /// <summary>Inputs the tests predict.</summary>
    public static ModelInput[] Probes { get; private set; } = [];

    [AssemblyInitialize]
    public static void Train(TestContext context)
    {
        Folder = Directory.CreateTempSubdirectory("mlnetdeep-serving-tests-").FullName;
        var ml = new MLContext(seed: 1);
        var rows = Images(400, seed: 7);
        Probes = Images(64, seed: 8);
        var data = ml.Data.LoadFromEnumerable(rows);
        FeedForwardA = Save(ml, FeedForward(ml, 1).Fit(data), data, "feedforward-a.zip");
        FeedForwardB = Save(ml, FeedForward(ml, 2).Fit(data), data, "feedforward-b.zip");
        var sdca = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 5))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        PlainMlNet = Save(ml, sdca.Fit(data), data, "sdca.zip");
        var pixels = ml.Data.LoadFromEnumerable(rows.Select(r => new PixelsInput { Label = r.Label, Pixels = r.Features }));
        var other = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(featureColumnName: "Pixels", maximumNumberOfIterations: 2))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        OtherInput = Save(ml, other.Fit(pixels), pixels, "other-input.zip");
    }

    [AssemblyCleanup]
    public static void Cleanup()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A model still open in a finalizing engine; the temp folder is cleaned by the system.
        }
    }

    /// <summary>What a single-threaded PredictionEngine of <paramref name="modelPath"/> predicts for each probe.</summary>
    public static ModelOutput[] Expected(string modelPath)
    {
        lock (ExpectedByModel)
        {
            if (ExpectedByModel.TryGetValue(modelPath, out var known))
                return known;
            var ml = new MLContext();
            using var model = (IDisposable)ml.Model.Load(modelPath, out _);
            using var engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>((ITransformer)model);
            var expected = Probes.Select(engine.Predict).ToArray();
            ExpectedByModel[modelPath] = expected;
            return expected;
        }
    }

    /// <summary>A copy of <paramref name="modelPath"/> in a folder of its own, to serve and replace.</summary>
    public static string CopyToNewFolder(string modelPath)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Folder, Guid.NewGuid().ToString("N"))).FullName;
        var copy = Path.Combine(folder, "model.zip");
        File.Copy(modelPath, copy);
        return copy;
    }

    /// <summary>Replaces <paramref name="target"/> as a deployment should: written beside it, then renamed over it.</summary>
    public static void Replace(string target, string newModel)
    {
        var beside = target + ".new";
        File.Copy(newModel, beside, overwrite: true);
        File.Move(beside, target, overwrite: true);
    }

    public static void ReplaceWithBytes(string target, byte[] content)
    {
        var beside = target + ".new";
        File.WriteAllBytes(beside, content);
        File.Move(beside, target, overwrite: true);
    }

    public static bool Same(ModelOutput expected, ModelOutput actual) =>
        expected.PredictedLabel == actual.PredictedLabel && expected.Score.AsSpan().SequenceEqual(actual.Score);

    private static IEstimator<ITransformer> FeedForward(MLContext ml, int seed) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions
            {
                HiddenLayerSizes = [16],
                NumberOfEpochs = 3,
                EarlyStopping = null,
                LearningRateSchedule = null,
                ValidationFraction = 0,
                Seed = seed,
                NumberOfThreads = 1,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    private static string Save(MLContext ml, ITransformer model, IDataView data, string fileName)
    {
        var path = Path.Combine(Folder, fileName);
        ml.Model.Save(model, data.Schema, path);
        (model as IDisposable)?.Dispose();
        return path;
    }

    private static ModelInput[] Images(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var pixels = new float[ModelInput.PixelCount];
            for (var i = 0; i < pixels.Length; i++)
                pixels[i] = (float)random.NextDouble();
            var band = random.Next(10);
            for (var i = band * 78; i < band * 78 + 78; i++)
                pixels[i] = Math.Min(1f, pixels[i] + 0.5f);
            return new ModelInput { Label = IdxImages.FashionMnistClassNames[band], Features = pixels };
        }).ToArray();
    }

    private sealed class PixelsInput
    {
        public string Label { get; set; } = "";

        [VectorType(ModelInput.PixelCount)]
        public float[] Pixels { get; set; } = [];
    }
}
