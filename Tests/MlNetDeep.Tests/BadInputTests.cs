using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

/// <summary>Bad data and bad options fail before any training, with a message that names the column or option and the problem.</summary>
[TestClass]
public sealed class BadInputTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static FeedForwardOptions Options() => new() { NumberOfEpochs = 2, Seed = 1, HiddenLayerSizes = [4] };

    private static void AssertFailsBeforeTraining<TException>(Func<FeedForwardOptions, DeepTrainer> trainer, IDataView data, params string[] messageParts)
        where TException : Exception
    {
        var progress = new ProgressLog();
        var error = Assert.ThrowsExactly<TException>(() => trainer(Options()).WithProgress(progress).Fit(data));
        foreach (var part in messageParts)
            StringAssert.Contains(error.Message, part);
        Assert.IsEmpty(progress.Records, "no epoch ran");
    }

    private static DeepTrainer Multiclass(FeedForwardOptions options) => Ml.MulticlassClassification.Trainers.FeedForward(options);

    private static DeepTrainer Binary(FeedForwardOptions options) => Ml.BinaryClassification.Trainers.FeedForward(options);

    private static DeepTrainer Regression(FeedForwardOptions options) => Ml.Regression.Trainers.FeedForward(options);

    private static IDataView Rows<T>(params T[] rows) where T : class => Ml.Data.LoadFromEnumerable(rows);

    private static float[] Features(float value = 0.5f) => Enumerable.Repeat(value, TestData.FeatureCount).ToArray();

    [TestMethod]
    public void AMissingFeatureColumnIsNamed() =>
        AssertFailsBeforeTraining<ArgumentOutOfRangeException>(o => { o.FeatureColumnName = "Pixels"; return Multiclass(o); },
            TestData.KeyedBlobs(Ml, 30, 2), "Feature column 'Pixels'", "not in the data");

    [TestMethod]
    public void AMissingLabelColumnIsNamed() =>
        AssertFailsBeforeTraining<ArgumentOutOfRangeException>(o => { o.LabelColumnName = "Class"; return Multiclass(o); },
            TestData.KeyedBlobs(Ml, 30, 2), "Label column 'Class'", "not in the data");

    [TestMethod]
    public void ATextLabelNeedsAKeyForMulticlass() =>
        AssertFailsBeforeTraining<ArgumentOutOfRangeException>(Multiclass, Ml.Data.LoadFromEnumerable(TestData.Blobs(30, 2)),
            "Label column 'Label'", "MapValueToKey");

    [TestMethod]
    public void AKeyLabelIsNoRegressionTarget() =>
        AssertFailsBeforeTraining<ArgumentOutOfRangeException>(Regression, TestData.KeyedBlobs(Ml, 30, 2), "Label column 'Label'", "regression needs");

    [TestMethod]
    public void ATextFeatureColumnIsRejected() =>
        AssertFailsBeforeTraining<ArgumentOutOfRangeException>(o => { o.FeatureColumnName = "Text"; return Binary(o); },
            Rows(new TextExample { Text = "x", Label = true }), "Feature column 'Text'", "Single or Double");

    [TestMethod]
    public void AVariableSizeFeatureVectorIsRejected() =>
        AssertFailsBeforeTraining<ArgumentOutOfRangeException>(Binary, Rows(new VariableExample { Features = [1, 2], Label = true }),
            "Feature column 'Features'", "variable-size");

    [TestMethod]
    public void ValidationDataWithAnotherFeatureSizeIsRejected()
    {
        var train = Ml.Data.LoadFromEnumerable(TestData.Linear(40, 2));
        var validation = Rows(new ShortExample { Features = [1, 2, 3], Label = true });

        var error = Assert.ThrowsExactly<ArgumentException>(() => Binary(Options()).Fit(train, validation));

        StringAssert.Contains(error.Message, "Feature column 'Features' has 3 values in the validation data but 10");
    }

    [TestMethod]
    [DataRow(float.NaN, "NaN")]
    [DataRow(float.PositiveInfinity, "Infinity")]
    public void NonFiniteFeaturesAreNamedWithTheirRowAndSlot(float bad, string shown)
    {
        var rows = TestData.Linear(20, 2);
        rows[13].Features[4] = bad;

        AssertFailsBeforeTraining<InvalidDataException>(Binary, Rows(rows), "Feature column 'Features'", shown, "row 13", "slot 4", "training data");
    }

    [TestMethod]
    public void AMissingKeyLabelIsNamedWithItsRow()
    {
        var data = Ml.Transforms.Conversion.MapValueToKey("Label", keyData: Ml.Data.LoadFromEnumerable(new[] { new LabelOnly { Label = "a" }, new LabelOnly { Label = "b" } }))
            .Fit(Ml.Data.LoadFromEnumerable(TestData.Blobs(12, 2))).Transform(Ml.Data.LoadFromEnumerable(TestData.Blobs(12, 2)));

        AssertFailsBeforeTraining<InvalidDataException>(Multiclass, data, "Label column 'Label'", "missing value in row 2");
    }

    [TestMethod]
    [DataRow(-1f, "value -1")]
    [DataRow(1.5f, "value 1.5")]
    public void AnInvalidClassIndexIsNamedWithItsRow(float bad, string shown)
    {
        var rows = Enumerable.Range(0, 10).Select(i => new NumericLabelExample { Label = i % 2, Features = Features() }).ToArray();
        rows[7].Label = bad;

        AssertFailsBeforeTraining<InvalidDataException>(Multiclass, Rows(rows), "Label column 'Label'", shown, "row 7", "whole numbers");
    }

    [TestMethod]
    public void AValidationLabelOutsideTheTrainingClassesIsRejected()
    {
        var train = Rows(Enumerable.Range(0, 10).Select(i => new NumericLabelExample { Label = i % 2, Features = Features() }).ToArray());
        var validation = Rows(new NumericLabelExample { Label = 2, Features = Features() });

        var error = Assert.ThrowsExactly<InvalidDataException>(() => Multiclass(Options()).Fit(train, validation));

        StringAssert.Contains(error.Message, "value 2 in row 0 of the validation data");
    }

    [TestMethod]
    public void ANaNRegressionLabelIsNamedWithItsRow()
    {
        var rows = TestData.Smooth(10, 2);
        rows[3].Label = float.NaN;

        AssertFailsBeforeTraining<InvalidDataException>(Regression, Rows(rows), "Label column 'Label'", "row 3", "finite");
    }

    [TestMethod]
    public void EmptyDataIsRejected() =>
        AssertFailsBeforeTraining<InvalidDataException>(Binary, Rows(Array.Empty<BinaryExample>()), "training data has no rows");

    [TestMethod]
    public void ASingleClassCannotBeClassified() =>
        AssertFailsBeforeTraining<InvalidDataException>(Multiclass,
            Rows(Enumerable.Range(0, 5).Select(_ => new NumericLabelExample { Label = 0, Features = Features() }).ToArray()), "single class");

    [TestMethod]
    [DataRow(false, "negative")]
    [DataRow(true, "positive")]
    public void BinaryLabelsOfOneValueAreASingleClass(bool label, string shown)
    {
        var rows = TestData.Linear(20, 2).Select(r => new BinaryExample { Label = label, Features = r.Features }).ToArray();

        AssertFailsBeforeTraining<InvalidDataException>(Binary, Rows(rows), "Label column 'Label'", "single class", $"all 20 labels are {shown}");
    }

    [TestMethod]
    public void BinaryImageLabelsOfOneValueAreASingleClass()
    {
        var rows = ConvolutionalNetworkTests.Bars(20, seed: 1, classes: 2).Select(b => new BinaryBarImage { Label = false, Features = b.Features }).ToArray();
        var progress = new ProgressLog();
        var trainer = Ml.BinaryClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions { NumberOfEpochs = 2, Seed = 1, Blocks = [new(4)] });

        var error = Assert.ThrowsExactly<InvalidDataException>(() => trainer.WithProgress(progress).Fit(Rows(rows)));

        StringAssert.Contains(error.Message, "single class");
        Assert.IsEmpty(progress.Records, "no epoch ran");
    }

    [TestMethod]
    public void ClassIndicesOfOneValueAreASingleClass() =>
        AssertFailsBeforeTraining<InvalidDataException>(Multiclass,
            Rows(Enumerable.Range(0, 8).Select(_ => new ClassIndexExample { Label = 3, Features = Features() }).ToArray()), "single class", "class index 3");

    [TestMethod]
    public void AKeyLabelWithOneClassInTheTrainingDataIsASingleClass()
    {
        var keys = Ml.Transforms.Conversion.MapValueToKey("Label").Fit(Ml.Data.LoadFromEnumerable(TestData.Blobs(30, 1)));
        var onlyB = TestData.Blobs(30, 2).Where(r => r.Label == "b").ToArray();

        AssertFailsBeforeTraining<InvalidDataException>(Multiclass, keys.Transform(Ml.Data.LoadFromEnumerable(onlyB)), "single class");
    }

    [TestMethod]
    public void ANegativeExampleWeightIsNamedWithItsRow()
    {
        var rows = Enumerable.Range(0, 10).Select(i => new WeightedExample { Label = i % 2 == 0, Features = Features(), Weight = 1 }).ToArray();
        rows[5].Weight = -1;

        AssertFailsBeforeTraining<InvalidDataException>(o => { o.ExampleWeightColumnName = "Weight"; return Binary(o); }, Rows(rows),
            "Weight column 'Weight'", "row 5", "not negative");
    }

    [TestMethod]
    public void AWeightColumnOfTheWrongTypeIsRejected() =>
        AssertFailsBeforeTraining<ArgumentOutOfRangeException>(o => { o.ExampleWeightColumnName = "Label"; return Binary(o); },
            Ml.Data.LoadFromEnumerable(TestData.Linear(10, 2)), "Weight column 'Label'", "Boolean");

    [TestMethod]
    public void EarlyStoppingWithoutValidationDataIsAConfigurationError() =>
        AssertFailsBeforeTraining<InvalidOperationException>(o => { o.ValidationFraction = 0; return Binary(o); },
            Ml.Data.LoadFromEnumerable(TestData.Linear(20, 2)), "EarlyStopping", "no validation data");

    [TestMethod]
    public void ClassWeightsMustMatchTheClasses() =>
        AssertFailsBeforeTraining<ArgumentOutOfRangeException>(o => { o.ClassWeights = [1, 2]; return Multiclass(o); },
            TestData.KeyedBlobs(Ml, 30, 2), "ClassWeights has 2 values", "3 classes");

    [TestMethod]
    public void ACheckpointOfAnotherNetworkIsNotResumed()
    {
        using var folder = new TemporaryFolder();
        var data = TestData.KeyedBlobs(Ml, 60, 2);
        var first = Options();
        first.CheckpointFolder = folder.Path;
        Multiclass(first).Fit(data);

        AssertFailsBeforeTraining<InvalidOperationException>(o =>
        {
            o.HiddenLayerSizes = [5];
            o.CheckpointFolder = folder.Path;
            o.ResumeFromCheckpoint = true;
            return Multiclass(o);
        }, data, "checkpoint", "different network");
    }

    [TestMethod]
    public void GetOutputSchemaChecksColumnsBeforeAnyData()
    {
        var schema = Ml.Transforms.Conversion.MapValueToKey("Label").GetOutputSchema(
            Runtime.MlNetInternals.ShapeOf(Ml.Data.LoadFromEnumerable(TestData.Blobs(3, 1)).Schema));
        var trainer = Multiclass(Options());

        var output = trainer.GetOutputSchema(schema);

        CollectionAssert.IsSubsetOf(new[] { "Score", "PredictedLabel" }, output.Select(c => c.Name).ToArray());
        var restored = trainer.Append(Ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).GetOutputSchema(schema);
        Assert.AreEqual(TextDataViewType.Instance, restored.Single(c => c.Name == "PredictedLabel").ItemType, "PredictedLabel carries the label's key values");
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            Regression(Options()).GetOutputSchema(schema));
        StringAssert.Contains(error.Message, "Label column 'Label'");
    }

    [TestMethod]
    [DataRow("BatchSize", 0)]
    [DataRow("LearningRate", 0.0)]
    [DataRow("LearningRate", double.NaN)]
    [DataRow("NumberOfEpochs", 0)]
    [DataRow("ValidationFraction", 1.0)]
    [DataRow("DropoutRate", 1.0)]
    [DataRow("Momentum", 1.0)]
    [DataRow("WeightDecay", -0.1)]
    [DataRow("GradientClipNorm", 0.0)]
    [DataRow("ShuffleBufferSize", 0)]
    public void InvalidOptionsAreNamedWhenTheTrainerIsCreated(string option, object value)
    {
        var options = new FeedForwardOptions();
        var property = typeof(FeedForwardOptions).GetProperty(option)!;
        property.SetValue(options, Convert.ChangeType(value, Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType));

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Multiclass(options));

        StringAssert.Contains(error.Message, $"Option {option}");
    }

    [TestMethod]
    public void InvalidScheduleAndEarlyStoppingSettingsAreNamed()
    {
        var schedule = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Multiclass(new FeedForwardOptions { LearningRateSchedule = new StepSchedule { Gamma = 2 } }));
        var early = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Multiclass(new FeedForwardOptions { EarlyStopping = new EarlyStoppingOptions { Patience = -1 } }));
        var nesterov = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Multiclass(new FeedForwardOptions { Nesterov = true }));

        StringAssert.Contains(schedule.Message, "StepSchedule.Gamma");
        StringAssert.Contains(early.Message, "EarlyStopping.Patience");
        StringAssert.Contains(nesterov.Message, "Option Nesterov");
    }

    private sealed class TextExample
    {
        public string Text { get; set; } = "";

        public bool Label { get; set; }
    }

    private sealed class VariableExample
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class ShortExample
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class ClassIndexExample
    {
        public uint Label { get; set; }

        [VectorType(TestData.FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    private sealed class LabelOnly
    {
        public string Label { get; set; } = "";
    }
}
