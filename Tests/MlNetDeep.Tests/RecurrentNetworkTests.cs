using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class RecurrentNetworkTests
{
    private static RecurrentNetworkOptions Small(RecurrentKind kind = RecurrentKind.Lstm, int epochs = 25) => new()
    {
        Kind = kind,
        HiddenSize = 24,
        NumberOfEpochs = epochs,
        Seed = 3,
        BatchSize = 32,
        LearningRate = 5e-3,
        EarlyStopping = null,
    };

    [TestMethod]
    [DataRow(RecurrentKind.Lstm, false, 1, SequencePooling.Last)]
    [DataRow(RecurrentKind.Lstm, true, 2, SequencePooling.Last)]
    [DataRow(RecurrentKind.Lstm, true, 1, SequencePooling.Mean)]
    [DataRow(RecurrentKind.Gru, false, 2, SequencePooling.Attention)]
    [DataRow(RecurrentKind.Gru, true, 1, SequencePooling.Last)]
    public void TheOnnxGraphComputesWhatTorchSharpComputes(RecurrentKind kind, bool bidirectional, int layers, SequencePooling pooling)
    {
        var recurrent = new RecurrentLayer(kind, 3, 5, layers, bidirectional, Dropout: 0.2, ReturnSequence: pooling != SequencePooling.Last);
        var width = recurrent.Directions * 5;
        List<LayerSpec> body = [new SequenceLayoutLayer(4, 3), recurrent];
        if (pooling != SequencePooling.Last)
            body.Add(new SequencePoolingLayer(pooling, width));
        body.Add(new LinearLayer(width, 1));

        SequenceTestData.AssertOnnxMatchesTorchSharp(new NetworkSpec([12], body), SequenceTestData.RandomExamples(20, 12));
    }

    [TestMethod]
    public void BidirectionalLayersReturnBothDirectionsForEveryStep()
    {
        var sequence = new RecurrentLayer(RecurrentKind.Lstm, 3, 5, 2, Bidirectional: true, ReturnSequence: true);
        var final = sequence with { ReturnSequence = false };
        using var module = sequence.CreateModule();
        using var finalModule = final.CreateModule();
        using var input = randn(4, 7, 3);

        CollectionAssert.AreEqual(new long[] { 7, 10 }, sequence.OutputShape([7, 3]));
        CollectionAssert.AreEqual(new long[] { 10 }, final.OutputShape([7, 3]));
        using var states = module.forward(input);
        using var finalStates = finalModule.forward(input);
        CollectionAssert.AreEqual(new long[] { 4, 7, 10 }, states.shape);
        CollectionAssert.AreEqual(new long[] { 4, 10 }, finalStates.shape);
    }

    [TestMethod]
    public void FinalStatesAreTheForwardLastStepAndTheBackwardFirstStep()
    {
        var layer = new RecurrentLayer(RecurrentKind.Gru, 3, 5, Bidirectional: true, ReturnSequence: true);
        using var sequenceModule = layer.CreateModule();
        using var finalModule = (layer with { ReturnSequence = false }).CreateModule();
        WeightTensor.LoadAll(finalModule, WeightTensor.ReadAll(sequenceModule));
        using var input = randn(2, 6, 3);

        using var states = sequenceModule.forward(input);
        using var final = finalModule.forward(input);

        using var expected = cat([states[.., -1, ..5], states[.., 0, 5..]], 1);
        Assert.IsTrue(final.allclose(expected, atol: 1e-6));
    }

    [TestMethod]
    public void AnLstmLearnsWhetherTheFirstValueExceedsTheLast()
    {
        const RecurrentKind kind = RecurrentKind.Lstm;
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(600, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(300, seed: 2));

        var model = ml.BinaryClassification.Trainers.RecurrentNetwork(Small(kind)).Fit(train);

        var accuracy = ml.BinaryClassification.Evaluate(model.Transform(test)).Accuracy;
        Assert.IsGreaterThan(0.9, accuracy, $"{kind} accuracy {accuracy:F3}");
    }

    [TestMethod]
    public void AGruRegressionNetworkRecallsTheFirstValue()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SequenceTestData.RecallFirst(500, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SequenceTestData.RecallFirst(200, seed: 2));
        var options = Small(RecurrentKind.Gru, epochs: 15);
        options.DropoutRate = 0;

        var model = ml.Regression.Trainers.RecurrentNetwork(options).Fit(train);

        var metrics = ml.Regression.Evaluate(model.Transform(test));
        Assert.IsLessThan(0.15, metrics.RootMeanSquaredError, $"RMSE {metrics.RootMeanSquaredError:F3} (predicting 0 gives 0.58)");
    }

    [TestMethod]
    public void ImagesAreReadAsSequencesOfRows()
    {
        var ml = new MLContext(seed: 1);
        var images = ml.Data.TakeRows(ml.Data.LoadIdxImages(Path.Combine("Data", "fashion-mnist", "train-images-idx3-ubyte.gz"),
            Path.Combine("Data", "fashion-mnist", "train-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames), 800);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(images).Transform(images);
        var split = ml.Data.TrainTestSplit(data, 0.2, seed: 1);
        var options = Small(RecurrentKind.Gru, epochs: 3);
        options.HiddenSize = 32;

        var model = ml.MulticlassClassification.Trainers.RecurrentNetwork(options).Fit(split.TrainSet);

        Assert.AreEqual(new SequenceLayoutLayer(28, 28), model.Network.Spec.Layers.OfType<SequenceLayoutLayer>().Single());
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(split.TestSet)).MacroAccuracy;
        Assert.IsGreaterThan(0.4, accuracy, $"accuracy {accuracy:F3} after 3 short epochs (chance 0.1)");
    }

    [TestMethod]
    public void ImagesCanBeReadAsSequencesOfPatches()
    {
        var ml = new MLContext(seed: 1);
        var images = ConvolutionalNetworkTests.Bars(120, seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(images)).Transform(ml.Data.LoadFromEnumerable(images));
        var options = Small(epochs: 1);
        options.ImagePatchSize = 4;
        options.ImageShape = new ImageShape(1, 12, 12);

        var model = ml.MulticlassClassification.Trainers.RecurrentNetwork(options).Fit(data);

        CollectionAssert.AreEqual(new long[] { 9, 16 }, new NetworkSpec([144], model.Network.Spec.Layers.Take(2).ToArray()).OutputShape);
        SequenceTestData.AssertOnnxMatchesTorchSharp(
            new NetworkSpec([48], [new ImagePatchesLayer(3, 4, 4, 2), new RecurrentLayer(RecurrentKind.Lstm, 12, 4), new LinearLayer(4, 1)]),
            SequenceTestData.RandomExamples(5, 48));
    }

    [TestMethod]
    public void ARecurrentModelScoresTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(200, seed: 1));
        var options = Small(epochs: 2);
        options.Bidirectional = true;
        options.NumberOfLayers = 2;
        options.SequenceShape = new SequenceShape(6, 2);
        var model = ml.BinaryClassification.Trainers.RecurrentNetwork(options).Fit(data);

        SaveLoadTests.AssertFreshProcessAgrees(ml, model, data, "binary", scored =>
            scored.GetColumn<bool>("PredictedLabel").Zip(scored.GetColumn<float>("Score"), scored.GetColumn<float>("Probability"))
                .Select(r => (r.First.ToString(), new[] { r.Second, r.Third })));
    }

    [TestMethod]
    public void ASavedRecurrentModelCanBeTrainedFurther()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(200, seed: 1));
        var options = Small(RecurrentKind.Gru, epochs: 3);
        options.Bidirectional = true;
        options.Pooling = SequencePooling.Attention;
        var model = ml.BinaryClassification.Trainers.RecurrentNetwork(options).Fit(data);
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, data.Schema, folder.File("model.zip"));

        var network = TrainedNetwork.Load(folder.File("model.zip"));
        options.NumberOfEpochs = 1;
        var fineTuned = ml.BinaryClassification.Trainers.RecurrentNetwork(options).Fit(data, network);

        TrainingEngineTests.AssertSameWeights(model.Network.Weights.ToDictionary(), network.Weights.ToDictionary());
        Assert.IsLessThan(model.History[0].TrainLoss, fineTuned.History[0].TrainLoss, "training continues from the saved weights");
    }

    [TestMethod]
    public void ASequenceShapeThatDoesNotFitTheColumnIsAnErrorNamingIt()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(50, seed: 1));
        var options = Small(epochs: 1);
        options.SequenceShape = new SequenceShape(5, 2);

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.RecurrentNetwork(options).Fit(data));

        StringAssert.Contains(error.Message, "'Features'");
        StringAssert.Contains(error.Message, "12 values");
    }

    [TestMethod]
    public void RaggedNumericSequencesAreRejectedNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var rows = new[] { new RaggedExample { Features = [1, 2, 3], Label = true }, new RaggedExample { Features = [1, 2], Label = false } };
        var data = ml.Data.LoadFromEnumerable(rows);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.RecurrentNetwork(Small(epochs: 1)).Fit(data));

        StringAssert.Contains(error.Message, "'Features'");
        StringAssert.Contains(error.Message, "variable-size");
    }

    [TestMethod]
    public void InvalidRecurrentOptionsAreRejectedByName()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.RecurrentNetwork(new RecurrentNetworkOptions { Pooling = SequencePooling.First }));
        StringAssert.Contains(error.Message, "Pooling");
    }

    private sealed class RaggedExample
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}
