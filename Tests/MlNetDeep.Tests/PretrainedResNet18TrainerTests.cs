using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Engine;
using MlNetDeep.Networks;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class PretrainedResNet18TrainerTests
{
    private const int Side = 32;

    /// <summary>32×32 RGB images (0–255) of a bright stripe on noise; the class sets its colour (c mod 3) and direction (horizontal for c &lt; 3).</summary>
    internal static ColourImage[] Stripes(int count, int seed, int classes = 3)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var c = i % classes;
            var pixels = Enumerable.Range(0, 3 * Side * Side).Select(_ => (float)(random.NextDouble() * 60)).ToArray();
            var at = random.Next(4, Side - 4);
            for (var k = 2; k < Side - 2; k++)
            {
                var (row, column) = c / 3 % 2 == 0 ? (at, k) : (k, at);
                pixels[(c % 3) * Side * Side + row * Side + column] = 255;
                pixels[(c % 3) * Side * Side + (row + 1) * Side + column] = 255;
            }
            return new ColourImage { Label = c.ToString(), Features = pixels };
        }).ToArray();
    }

    private static IDataView KeyedStripes(MLContext ml, int count, int classes = 3)
    {
        var data = ml.Data.LoadFromEnumerable(Stripes(count, seed: 1, classes));
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private static PretrainedResNet18Options Quick(int epochs) => new()
    {
        NumberOfEpochs = epochs, Seed = 3, BatchSize = 16, ValidationFraction = 0, EarlyStopping = null, LearningRateSchedule = null,
    };

    /// <summary>The imported weights under their names in <paramref name="network"/> (whose backbone starts at its first padding layer).</summary>
    private static Dictionary<string, WeightTensor> PretrainedWeightsOf(TrainedNetwork network, out int backboneStart)
    {
        backboneStart = network.Spec.Layers.ToList().FindIndex(l => l is SamePad2dLayer);
        return ResNet18Backbone.ForRgb(null, backboneStart).Weights;
    }

    private static bool Unchanged(WeightTensor before, WeightTensor after) => before.Values.AsSpan().SequenceEqual(after.Values);

    [TestMethod]
    public void OnlyTheHeadTrainsDuringTheHeadOnlyEpochs()
    {
        var ml = new MLContext(seed: 1);
        var options = Quick(epochs: 2);
        options.HeadOnlyEpochs = 2;

        var model = ml.MulticlassClassification.Trainers.PretrainedResNet18(options).Fit(KeyedStripes(ml, 48));

        var pretrained = PretrainedWeightsOf(model.Network, out _);
        foreach (var (name, weight) in pretrained)
            Assert.IsTrue(Unchanged(weight, model.Network.Weights[name]), $"{name} (running statistics included) is as imported");
        Assert.IsLessThan(model.History[0].TrainLoss, model.History[1].TrainLoss, "the head learns");
    }

    [TestMethod]
    public void FrozenStagesKeepTheirWeightsWhileTheOthersChange()
    {
        var ml = new MLContext(seed: 1);
        var options = Quick(epochs: 2);
        options.FrozenStages = 2;
        options.HeadOnlyEpochs = 1;

        var model = ml.MulticlassClassification.Trainers.PretrainedResNet18(options).Fit(KeyedStripes(ml, 48));

        var pretrained = PretrainedWeightsOf(model.Network, out var backboneStart);
        var stages = ResNet18Backbone.Stages(model.Network.Spec.Layers.Skip(backboneStart).TakeWhile(l => l is not DropoutLayer and not LinearLayer).ToList());
        for (var s = 0; s < stages.Count; s++)
        {
            var (first, count) = (stages[s].First + backboneStart, stages[s].Count);
            var names = pretrained.Keys.Where(n => LayerGroup.LayerOf(n) >= first && LayerGroup.LayerOf(n) < first + count).ToList();
            Assert.IsNotEmpty(names);
            var unchanged = names.Count(n => Unchanged(pretrained[n], model.Network.Weights[n]));
            if (s < 2)
                Assert.AreEqual(names.Count, unchanged, $"frozen stage {s} keeps every weight and running statistic");
            else
                Assert.AreEqual(0, names.Count(n => !n.Contains("running") && Unchanged(pretrained[n], model.Network.Weights[n])), $"stage {s} trains every parameter");
        }
    }

    [TestMethod]
    public void ContinuedTrainingKeepsTheFrozenStagesOfTheOptions()
    {
        var ml = new MLContext(seed: 1);
        var data = KeyedStripes(ml, 32);
        var first = ml.MulticlassClassification.Trainers.PretrainedResNet18(Quick(epochs: 1)).Fit(data);
        using var folder = new TemporaryFolder();
        ml.Model.Save(first, data.Schema, folder.File("model.zip"));
        var saved = TrainedNetwork.Load(folder.File("model.zip"));
        var options = Quick(epochs: 1);
        options.FrozenStages = PretrainedResNet18Options.BackboneStages;

        var continued = ml.MulticlassClassification.Trainers.PretrainedResNet18(options).Fit(data, saved);

        var backboneStart = continued.Network.Spec.Layers.ToList().FindIndex(l => l is SamePad2dLayer);
        var headStart = continued.Network.Spec.Layers.ToList().FindIndex(l => l is DropoutLayer or LinearLayer);
        var changed = saved.Weights.Keys.Where(n => !Unchanged(saved.Weights[n], continued.Network.Weights[n])).Select(LayerGroup.LayerOf).ToList();
        Assert.IsNotEmpty(changed, "the head trains");
        Assert.IsTrue(changed.All(layer => layer >= headStart), $"only the head changes; changed layers {string.Join(", ", changed.Distinct())}, backbone {backboneStart}–{headStart - 1}");
    }

    [TestMethod]
    public void GradualUnfreezingStartsWithTheLastStage()
    {
        var ml = new MLContext(seed: 1);
        var options = Quick(epochs: 2);
        options.HeadOnlyEpochs = 1;
        options.EpochsPerUnfrozenStage = 1;

        var model = ml.MulticlassClassification.Trainers.PretrainedResNet18(options).Fit(KeyedStripes(ml, 32));

        var pretrained = PretrainedWeightsOf(model.Network, out var backboneStart);
        var lastStage = backboneStart + ResNet18Backbone.Stages(ResNet18Backbone.Import().Layers)[^1].First;
        foreach (var (name, weight) in pretrained)
        {
            if (LayerGroup.LayerOf(name) < lastStage)
                Assert.IsTrue(Unchanged(weight, model.Network.Weights[name]), $"{name} waits for a later epoch");
            else if (!name.Contains("running"))
                Assert.IsFalse(Unchanged(weight, model.Network.Weights[name]), $"{name} trains in epoch 2");
        }
    }

    [TestMethod]
    public void EachStageLearnsAtTheLearningRateTimesItsMultiplier()
    {
        var ml = new MLContext(seed: 1);
        var options = Quick(epochs: 2);
        options.LearningRate = 1e-3;
        options.StageLearningRateMultipliers = [0.01, 0.02, 0.05, 0.1, 0.5];
        var recorder = new LearningRateRecorder();

        ml.MulticlassClassification.Trainers.PretrainedResNet18(options).WithCallbacks(recorder).Fit(KeyedStripes(ml, 16));

        var expected = new[] { 1e-5, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3 };
        Assert.HasCount(expected.Length, recorder.Rates);
        for (var i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], recorder.Rates[i], 1e-12, $"group {i}");
    }

    [TestMethod]
    public void TheHeadHasOneOutputPerClass()
    {
        foreach (var classes in new[] { 2, 5 })
        {
            var ml = new MLContext(seed: 1);
            var options = Quick(epochs: 1);
            options.FrozenStages = PretrainedResNet18Options.BackboneStages;
            options.HiddenLayerSizes = [16];
            var data = KeyedStripes(ml, 10 * classes, classes);

            var model = ml.MulticlassClassification.Trainers.PretrainedResNet18(options).Fit(data);

            CollectionAssert.AreEqual(new long[] { classes }, model.Network.Spec.OutputShape);
            var scores = model.Transform(data).GetColumn<float[]>("Score").ToArray();
            Assert.IsTrue(scores.All(s => s.Length == classes && Math.Abs(s.Sum() - 1) < 1e-4), $"{classes} class probabilities per image");
        }
    }

    [TestMethod]
    public void GrayscaleImagesAreExpandedToThreeChannelsAndResizedToAnOddSide()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ConvolutionalNetworkTests.Bars(30, seed: 1));
        data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var options = Quick(epochs: 1);
        options.Resolution = 35;
        options.PixelMaximum = 1;

        var model = ml.MulticlassClassification.Trainers.PretrainedResNet18(options).Fit(data);

        Assert.IsTrue(model.Network.Spec.Layers.Contains(new ExpandChannelsLayer(3)));
        Assert.IsTrue(model.Network.Spec.Layers.Contains(new ResizeLayer(35, 35)));
        Assert.IsTrue(model.Transform(data).GetColumn<float[]>("Score").All(s => s.Length == 3));
    }

    [TestMethod]
    public void ImagesThatDoNotFitTheBackboneAreRejectedWithTheWayOut()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ConvolutionalNetworkTests.Bars(12, seed: 1));
        data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.PretrainedResNet18(Quick(epochs: 1)).Fit(data));
        var badOption = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.PretrainedResNet18(new PretrainedResNet18Options { Resolution = 24 }));

        StringAssert.Contains(error.Message, "'Features'");
        StringAssert.Contains(error.Message, "12×12");
        StringAssert.Contains(error.Message, "Resolution");
        StringAssert.Contains(badOption.Message, "Resolution");
    }

    [TestMethod]
    public void PretrainedFeaturesLearnASimpleImageProblem()
    {
        var ml = new MLContext(seed: 1);
        var rawTrain = ml.Data.LoadFromEnumerable(Stripes(72, seed: 1));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rawTrain);
        var (train, test) = (keys.Transform(rawTrain), keys.Transform(ml.Data.LoadFromEnumerable(Stripes(30, seed: 2))));
        var options = Quick(epochs: 4);
        options.FrozenStages = PretrainedResNet18Options.BackboneStages;
        options.LearningRate = 3e-3;

        var model = ml.MulticlassClassification.Trainers.PretrainedResNet18(options).Fit(train);

        Assert.IsGreaterThan(0.9, ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy);
    }

    [TestMethod]
    public void AFineTunedModelScoresTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = KeyedStripes(ml, 24);
        var model = ml.MulticlassClassification.Trainers.PretrainedResNet18(Quick(epochs: 1))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);

        SaveLoadTests.AssertFreshProcessAgrees(ml, model, data, "multiclass", scored =>
            scored.GetColumn<string>("PredictedLabel").Zip(scored.GetColumn<float[]>("Score"), (label, score) => (label, score)));
    }

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

    private sealed class LearningRateRecorder : TrainingCallback
    {
        public List<double> Rates { get; } = [];

        public override void OnEpochBegin(TrainingContext context)
        {
            if (context.Epoch == 2)
                Rates.AddRange(context.Optimizer.ParamGroups.Select(g => g.LearningRate));
        }
    }

    private sealed class ImageFileRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}

internal sealed class ColourImage
{
    public string Label { get; set; } = "";

    [VectorType(3, 32, 32)]
    public float[] Features { get; set; } = [];
}
