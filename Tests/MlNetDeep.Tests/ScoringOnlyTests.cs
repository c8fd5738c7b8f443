using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

/// <summary>
/// The kinds of model that the other fresh-process tests do not cover, scored in the scoring process, which references
/// MlNetDeep.Scoring and ML.NET only (no TorchSharp): text read as token sequences, several regression values per row,
/// and image files through the frozen ResNet18.
/// </summary>
[TestClass]
public sealed class ScoringOnlyTests
{
    [TestMethod]
    public void ATokenSequenceModelScoresTheSameInAProcessWithoutTorchSharp()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(120, seed: 1));
        var options = new RecurrentNetworkOptions { Kind = RecurrentKind.Gru, HiddenSize = 8, EmbeddingDimensions = 8, NumberOfEpochs = 2, Seed = 3, EarlyStopping = null };
        var model = SequenceTestData.TokenPipelineEstimator(ml).Append(ml.BinaryClassification.Trainers.RecurrentNetwork(options)).Fit(text);

        SaveLoadTests.AssertFreshProcessAgrees(ml, model, text, "binary", scored =>
            scored.GetColumn<bool>("PredictedLabel").Zip(scored.GetColumn<float>("Score"), scored.GetColumn<float>("Probability"))
                .Select(r => (r.First.ToString(), new[] { r.Second, r.Third })), textColumn: "Text");
    }

    [TestMethod]
    public void AModelWithSeveralOutputsPerRowScoresTheSameInAProcessWithoutTorchSharp()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Smooth(200, seed: 2).Select(r => new TwoTargets { Features = r.Features, Label = [r.Label, -r.Label] }));
        var model = ml.Regression.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 2, Seed = 1, HiddenLayerSizes = [8] }).Fit(data);

        SaveLoadTests.AssertFreshProcessAgrees(ml, model, data, "vector-regression", scored => scored.GetColumn<float[]>("Score").Select(s => ("", s)));
    }

    [TestMethod]
    public void AFrozenResNet18ModelScoresImageFilesTheSameInAProcessWithoutTorchSharp()
    {
        var ml = new MLContext(seed: 1);
        var photos = Path.Combine(AppContext.BaseDirectory, "Data", "photos");
        var files = ml.Data.LoadFromEnumerable(new[] { "astronaut", "chelsea", "coffee" }
            .Select(name => new ImageFile { ImagePath = Path.Combine(photos, name + ".jpg"), Label = name }).ToArray());
        // The label is keyed outside the model, so scoring needs the image path only.
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(files).Transform(files);
        var options = new FrozenResNet18Options
        {
            Head = new FeedForwardOptions { NumberOfEpochs = 2, Seed = 3, HiddenLayerSizes = [8], ValidationFraction = 0, EarlyStopping = null, BatchSize = 3 },
        };
        var model = ml.MulticlassClassification.Trainers.FrozenResNet18(options)
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);

        SaveLoadTests.AssertFreshProcessAgrees(ml, model, data, "multiclass", scored =>
            scored.GetColumn<string>("PredictedLabel").Zip(scored.GetColumn<float[]>("Score"), (label, score) => (label, score)), textColumn: "ImagePath");
    }

    private sealed class TwoTargets
    {
        [VectorType(TestData.FeatureCount)]
        public float[] Features { get; set; } = [];

        [VectorType(2)]
        public float[] Label { get; set; } = [];
    }

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
