using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class FeedForwardTrainerTests
{
    private static FeedForwardOptions Quick(int epochs = 15) => new() { NumberOfEpochs = epochs, Seed = 7, HiddenLayerSizes = [32, 16] };

    [TestMethod]
    public void MulticlassReachesHighAccuracyAndEvaluatesWithMlNet()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TestData.Blobs(600, seed: 2));
        var test = ml.Data.LoadFromEnumerable(TestData.Blobs(300, seed: 3));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.FeedForward(Quick()))
            .Fit(train);

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));

        Assert.IsGreaterThan(0.95, metrics.MicroAccuracy);
        Assert.IsLessThan(0.3, metrics.LogLoss);
    }

    [TestMethod]
    public void BinaryReachesHighAccuracyAndEvaluatesWithMlNet()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TestData.Linear(1000, seed: 2));
        var test = ml.Data.LoadFromEnumerable(TestData.Linear(400, seed: 3));
        var model = ml.BinaryClassification.Trainers.FeedForward(Quick(25)).Fit(train);

        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));

        Assert.IsGreaterThan(0.93, metrics.Accuracy);
        Assert.IsGreaterThan(0.98, metrics.AreaUnderRocCurve);
    }

    [TestMethod]
    public void RegressionFitsASmoothFunction()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TestData.Smooth(1500, seed: 2));
        var test = ml.Data.LoadFromEnumerable(TestData.Smooth(400, seed: 3));
        var model = ml.Regression.Trainers.FeedForward(Quick(40)).Fit(train);

        var metrics = ml.Regression.Evaluate(model.Transform(test));

        Assert.IsGreaterThan(0.95, metrics.RSquared);
    }

    [TestMethod]
    [DataRow(DataLoadingMode.CacheAsTensors)]
    [DataRow(DataLoadingMode.Streaming)]
    public void AVectorLabelTrainsOneOutputPerValue(DataLoadingMode loading)
    {
        var ml = new MLContext(seed: 1);
        static TwoTargets[] Rows(int count, int seed) => TestData.Smooth(count, seed)
            .Select(r => new TwoTargets { Features = r.Features, Label = [r.Label, r.Features[4] - r.Features[5]] }).ToArray();
        var train = ml.Data.LoadFromEnumerable(Rows(1500, seed: 2));
        var test = ml.Data.LoadFromEnumerable(Rows(400, seed: 3));
        var options = Quick(40);
        options.DataLoading = loading;

        var model = ml.Regression.Trainers.FeedForward(options).Fit(train);

        var metrics = ml.Regression.EvaluateMultiOutput(model.Transform(test));
        Assert.HasCount(2, metrics.PerOutput);
        Assert.IsGreaterThan(0.95, metrics.PerOutput[0].RSquared, "the smooth function");
        // One loss over both outputs: the smaller-scale one gets a smaller share of it.
        Assert.IsGreaterThan(0.9, metrics.PerOutput[1].RSquared, "the difference of two features");
    }

    [TestMethod]
    public void FashionMnistSubsetIsLearnt()
    {
        var ml = new MLContext(seed: 1);
        var folder = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
        var train = ml.Data.LoadIdxImages(Path.Combine(folder, "train-images-idx3-ubyte.gz"), Path.Combine(folder, "train-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);
        var test = ml.Data.LoadIdxImages(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 10, BatchSize = 128, Seed = 1 }))
            .Fit(train);

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));

        Assert.IsGreaterThan(0.78, metrics.MicroAccuracy, "a 256-128 MLP on 6000 Fashion-MNIST images reaches about 0.8");
    }

    [TestMethod]
    public void MulticlassOutputsFollowMlNetConventions()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Blobs(300, seed: 2));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var model = ml.MulticlassClassification.Trainers.FeedForward(Quick(3)).Fit(keyed);

        var scored = model.Transform(keyed);

        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3), scored.Schema["Score"].Type);
        Assert.AreEqual(keyed.Schema["Label"].Type, scored.Schema["PredictedLabel"].Type);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, scored.Schema.GetClassLabels());
        var restored = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, restored.Schema.GetClassLabels(), "read from the key column MapKeyToValue replaced");
        var predicted = restored.GetColumn<string>("PredictedLabel").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        for (var i = 0; i < predicted.Length; i++)
        {
            Assert.AreEqual(1f, scores[i].Sum(), 1e-5f, "Score holds class probabilities");
            var best = scored.Schema.GetLabelScores(scores[i]).MaxBy(p => p.Value);
            Assert.AreEqual(best.Key, predicted[i], "PredictedLabel is the class with the highest score");
        }
        CollectionAssert.DoesNotContain(scored.Schema.Select(c => c.Name).ToArray(), "__MlNetDeep_PredictedIndex", "internal columns are dropped");
    }

    [TestMethod]
    public void BinaryOutputsFollowMlNetConventions()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Linear(200, seed: 2));
        var model = ml.BinaryClassification.Trainers.FeedForward(Quick(3)).Fit(data);

        var scored = model.Transform(data);

        Assert.AreEqual(NumberDataViewType.Single, scored.Schema["Score"].Type);
        Assert.AreEqual(NumberDataViewType.Single, scored.Schema["Probability"].Type);
        Assert.AreEqual(BooleanDataViewType.Instance, scored.Schema["PredictedLabel"].Type);
        var score = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        var label = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (var i = 0; i < score.Length; i++)
        {
            Assert.AreEqual(1 / (1 + Math.Exp(-score[i])), probability[i], 1e-6);
            Assert.AreEqual(score[i] > 0, label[i]);
        }
    }

    [TestMethod]
    public void MulticlassAcceptsNumericClassIndicesAndRestoresThem()
    {
        var ml = new MLContext(seed: 1);
        var rows = TestData.Blobs(300, seed: 2).Select(e => new { Label = (float)(e.Label[0] - 'a'), e.Features }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new NumericLabelExample { Label = r.Label, Features = r.Features }));
        var model = ml.MulticlassClassification.Trainers.FeedForward(Quick(30)).Fit(data);

        var scored = ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel").Fit(model.Transform(data)).Transform(model.Transform(data));

        var predicted = scored.GetColumn<float>("PredictedValue").ToArray();
        var accuracy = predicted.Zip(rows, (p, r) => p == r.Label ? 1.0 : 0.0).Average();
        Assert.IsGreaterThan(0.95, accuracy);
        Assert.AreEqual(0.0, ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy - accuracy, 1e-9);
    }

    [TestMethod]
    public void DoubleAndScalarFeaturesAndExampleWeightsAreRead()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 600).Select(_ =>
        {
            var x = random.NextDouble() * 4 - 2;
            return new ScalarExample { X = x, Label = (float)(x * x), Weight = 1f };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new FeedForwardOptions { FeatureColumnName = "X", ExampleWeightColumnName = "Weight", NumberOfEpochs = 60, Seed = 1, HiddenLayerSizes = [32, 32] };
        var model = ml.Regression.Trainers.FeedForward(options).Fit(data);

        var metrics = ml.Regression.Evaluate(model.Transform(data));

        Assert.IsGreaterThan(0.95, metrics.RSquared, "y = x² from a Double scalar feature");
        Assert.AreEqual("__MlNetDeep_Features", model.OnnxInputName, "a Double scalar is converted to a float vector before the ONNX scorer");
    }

    [TestMethod]
    public void ZeroExampleWeightsRemoveExamplesFromTraining()
    {
        var ml = new MLContext(seed: 1);
        // Half the rows carry the wrong label with weight 0: a model that ignores weights cannot fit both halves.
        var rows = TestData.Linear(800, seed: 2)
            .SelectMany(e => new[]
            {
                new WeightedExample { Label = e.Label, Features = e.Features, Weight = 1 },
                new WeightedExample { Label = !e.Label, Features = e.Features, Weight = 0 },
            }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = Quick(25);
        options.ExampleWeightColumnName = "Weight";
        var model = ml.BinaryClassification.Trainers.FeedForward(options).Fit(data);

        var test = ml.Data.LoadFromEnumerable(TestData.Linear(400, seed: 3));
        Assert.IsGreaterThan(0.9, ml.BinaryClassification.Evaluate(model.Transform(test)).Accuracy);
    }

    private sealed class ScalarExample
    {
        public double X { get; set; }

        public float Label { get; set; }

        public float Weight { get; set; }
    }

    private sealed class TwoTargets
    {
        [VectorType(TestData.FeatureCount)]
        public float[] Features { get; set; } = [];

        [VectorType(2)]
        public float[] Label { get; set; } = [];
    }
}
