using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

/// <summary>MlNetDeep models behave as ML.NET users expect: ML.NET's own tooling works on them, and the public surface follows ML.NET's conventions.</summary>
[TestClass]
public sealed class MlNetIdiomTests
{
    private static FeedForwardOptions Quick(int epochs = 3) => new() { NumberOfEpochs = epochs, Seed = 1, HiddenLayerSizes = [16], EarlyStopping = null };

    [TestMethod]
    public void PermutationFeatureImportanceRanksTheFeaturesTheModelUses()
    {
        var ml = new MLContext(seed: 1);
        // Only the first two features carry the class; the rest are noise.
        var random = new Random(3);
        var rows = Enumerable.Range(0, 400).Select(i =>
        {
            var label = i % 2;
            var features = Enumerable.Range(0, 6).Select(_ => (float)random.NextDouble()).ToArray();
            features[0] += 2 * label;
            features[1] -= 2 * label;
            return new ClassExample { Label = label.ToString(), Features = features };
        }).ToArray();
        var raw = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.FeedForward(Quick(20))).Fit(raw);

        // As for ML.NET's own trainers: the chain's prediction transformer, on the data its earlier steps prepared.
        var importance = ml.MulticlassClassification.PermutationFeatureImportance(model.LastTransformer, model.Transform(raw), permutationCount: 2);

        Assert.HasCount(6, importance);
        var largestDrops = importance.Select((statistics, slot) => (statistics.MicroAccuracy.Mean, slot)).OrderBy(p => p.Mean).Take(2).Select(p => p.slot).Order().ToArray();
        CollectionAssert.AreEqual(new[] { 0, 1 }, largestDrops, string.Join(", ", importance.Select(s => s.MicroAccuracy.Mean.ToString("F3"))));
        Assert.IsLessThan(-0.2, importance.Min(s => s.MicroAccuracy.Mean), "permuting a feature the model uses costs accuracy");
    }

    [TestMethod]
    public void PreviewAndOutputSchemaShowTheColumnsTheModelAdds()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 120, seed: 2);
        var trainer = ml.MulticlassClassification.Trainers.FeedForward(Quick());

        var shape = trainer.GetOutputSchema(Runtime.MlNetInternals.ShapeOf(data.Schema));
        var model = trainer.Fit(data);
        var schema = model.GetOutputSchema(data.Schema);
        var preview = model.Preview(data, maxRows: 5);

        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, shape.Single(c => c.Name == "Score").Kind);
        Assert.IsTrue(shape.Single(c => c.Name == "PredictedLabel").IsKey);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3), schema["Score"].Type);
        Assert.IsInstanceOfType<KeyDataViewType>(schema["PredictedLabel"].Type);
        Assert.HasCount(5, preview.RowView);
        var firstScore = (VBuffer<float>)preview.RowView[0].Values.Last(p => p.Key == "Score").Value;
        Assert.AreEqual(1f, firstScore.DenseValues().Sum(), 1e-5f, "class probabilities");
        Assert.IsFalse(preview.Schema.Any(c => c.Name.StartsWith("__MlNetDeep", StringComparison.Ordinal) && !c.IsHidden), "internal columns are dropped");
    }

    [TestMethod]
    public void TwoTrainersInOnePipelineWriteTheirOwnColumnsAndSaveAndReloadTogether()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 200, seed: 2);
        var teacher = Quick(20);
        var student = Quick(20);
        student.HiddenLayerSizes = [8];
        student.DropoutRate = 0;
        student.ScoreColumnName = "StudentScore";
        student.PredictedLabelColumnName = "StudentLabel";
        var pipeline = ml.MulticlassClassification.Trainers.FeedForward(teacher).Append(ml.MulticlassClassification.Trainers.FeedForward(student));

        var model = pipeline.Fit(data);
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, data.Schema, folder.File("model.zip"));
        var loaded = new MLContext().Model.Load(folder.File("model.zip"), out _);

        var before = model.Transform(data);
        var after = loaded.Transform(data);
        foreach (var column in new[] { "Score", "StudentScore" })
        {
            var expected = before.GetColumn<float[]>(column).ToArray();
            var actual = after.GetColumn<float[]>(column).ToArray();
            for (var row = 0; row < expected.Length; row++)
                CollectionAssert.AreEqual(expected[row], actual[row], $"{column}, row {row}");
        }
        Assert.AreNotEqual(before.GetColumn<float[]>("Score").First()[0], before.GetColumn<float[]>("StudentScore").First()[0], "two different networks");
        Assert.IsGreaterThan(0.7, ml.MulticlassClassification.Evaluate(after, scoreColumnName: "StudentScore", predictedLabelColumnName: "StudentLabel").MicroAccuracy, "the student learnt");
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void BinaryOutputColumnsTakeTheNamesTheOptionsGive()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TestData.Blobs(200, seed: 2).Select(e => new BinaryExample { Label = e.Label == "a", Features = e.Features }));
        var options = Quick(20);
        options.ScoreColumnName = "Logit";
        options.ProbabilityColumnName = "Chance";
        options.PredictedLabelColumnName = "IsA";

        var scored = ml.BinaryClassification.Trainers.FeedForward(options).Fit(data).Transform(data);
        var scoredWithDefaultNames = ml.BinaryClassification.Trainers.FeedForward(Quick(20)).Fit(data).Transform(data);

        var metrics = ml.BinaryClassification.Evaluate(scored, scoreColumnName: "Logit", probabilityColumnName: "Chance", predictedLabelColumnName: "IsA");
        var expected = ml.BinaryClassification.Evaluate(scoredWithDefaultNames);
        Assert.AreEqual((expected.Accuracy, expected.AreaUnderRocCurve, expected.LogLoss), (metrics.Accuracy, metrics.AreaUnderRocCurve, metrics.LogLoss));
        Assert.IsGreaterThan(0.6, metrics.Accuracy);
        Assert.IsNull(scored.Schema.GetColumnOrNull("Score"));
        Assert.IsNull(scored.Schema.GetColumnOrNull("Probability"));
    }

    [TestMethod]
    public void EverythingAUserSetsIsReachableWithUsingMlNetDeep()
    {
        var assemblies = new[] { typeof(DeepTrainerOptions).Assembly, typeof(FeedForwardOptions).Assembly };
        var optionsTypes = assemblies.SelectMany(a => a.GetExportedTypes()).Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal)).ToArray();
        var catalogParameters = typeof(MlNetDeepCatalog).GetMethods(BindingFlags.Public | BindingFlags.Static).SelectMany(m => m.GetParameters()).Select(p => p.ParameterType);
        var optionTypes = optionsTypes.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)).Where(p => p.CanWrite).Select(p => p.PropertyType);

        var outside = optionTypes.Concat(catalogParameters).SelectMany(Unwrap).Distinct()
            .Where(t => t.Namespace is not ("MlNetDeep" or "System" or "System.Collections.Generic")
                && !t.Namespace!.StartsWith("Microsoft.ML", StringComparison.Ordinal)
                && t != typeof(nn.Module))
            .Select(t => t.FullName).ToArray();

        Assert.IsGreaterThan(5, optionsTypes.Length);
        Assert.IsEmpty(outside, string.Join(", ", outside));

        static IEnumerable<Type> Unwrap(Type type) =>
            type.IsArray ? Unwrap(type.GetElementType()!)
            : type.IsGenericType ? type.GetGenericArguments().SelectMany(Unwrap)
            : [type];
    }

    [TestMethod]
    public void EveryFlatCatalogMethodTakesMlNetsParameterNames()
    {
        var flat = typeof(MlNetDeepCatalog).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => !m.GetParameters().Any(p => p.ParameterType.Name.EndsWith("Options", StringComparison.Ordinal))).ToArray();

        Assert.IsGreaterThan(15, flat.Length);
        foreach (var method in flat)
        {
            var names = method.GetParameters().Select(p => p.Name).ToArray();
            string[] expected = method.Name == nameof(MlNetDeepCatalog.FrozenResNet18)
                ? ["labelColumnName", "imagePathColumnName", "exampleWeightColumnName", "numberOfEpochs", "learningRate"]
                : ["labelColumnName", "featureColumnName", "exampleWeightColumnName", "numberOfEpochs", "learningRate"];
            CollectionAssert.IsSubsetOf(expected, names, $"{method.Name}({string.Join(", ", names)})");
        }
    }

    [TestMethod]
    public void FlatOverloadsTakeTheirDefaultsFromTheOptions()
    {
        var ml = new MLContext(seed: 1);

        Assert.AreEqual(new FeedForwardOptions().ToJson(), ml.Regression.Trainers.FeedForward().Options.ToJson());
        Assert.AreEqual(new ConvolutionalNetworkOptions().ToJson(), ml.MulticlassClassification.Trainers.ConvolutionalNetwork().Options.ToJson());
        Assert.AreEqual(new RecurrentNetworkOptions().ToJson(), ml.BinaryClassification.Trainers.RecurrentNetwork().Options.ToJson());
        Assert.AreEqual(new TransformerNetworkOptions().ToJson(), ml.Regression.Trainers.TransformerNetwork().Options.ToJson());
        Assert.AreEqual(new PretrainedResNet18Options().ToJson(), ml.MulticlassClassification.Trainers.PretrainedResNet18().Options.ToJson());
        var set = ml.MulticlassClassification.Trainers.RecurrentNetwork(numberOfEpochs: 7, learningRate: 0.01, kind: RecurrentKind.Gru).Options;
        Assert.AreEqual((7, 0.01, RecurrentKind.Gru), (set.NumberOfEpochs, set.LearningRate, ((RecurrentNetworkOptions)set).Kind));
    }

    private sealed class BinaryExample
    {
        public bool Label { get; set; }

        [VectorType(TestData.FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    private sealed class ClassExample
    {
        public string Label { get; set; } = "";

        [VectorType(6)]
        public float[] Features { get; set; } = [];
    }
}
