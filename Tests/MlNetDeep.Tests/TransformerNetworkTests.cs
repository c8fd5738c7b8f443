using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class TransformerNetworkTests
{
    private static TransformerNetworkOptions Small(int epochs) => new()
    {
        ModelDimensions = 16,
        Heads = 2,
        NumberOfLayers = 1,
        FeedForwardSize = 32,
        NumberOfEpochs = epochs,
        Seed = 3,
        BatchSize = 32,
        LearningRate = 3e-3,
        DropoutRate = 0,
        EarlyStopping = null,
    };

    [TestMethod]
    public void AttentionWeightsSumToOneAndLeavePaddingOut()
    {
        manual_seed(1);
        using var attention = new MultiHeadSelfAttentionModule(8, heads: 4);
        using var input = randn(3, 5, 8);
        using var mask = tensor(new[] { true, true, true, true, true, true, true, false, false, false, true, false, false, false, false }, [3, 5]);

        using var weights = attention.AttentionWeights(input, mask);

        CollectionAssert.AreEqual(new long[] { 3, 4, 5, 5 }, weights.shape);
        using var sums = weights.sum(-1);
        Assert.IsTrue(sums.allclose(ones_like(sums), atol: 1e-6), "every query's weights sum to one");
        using var onPadding = weights.masked_select(mask.logical_not().reshape(3, 1, 1, 5).expand(3, 4, 5, 5));
        Assert.AreEqual(0f, onPadding.abs().max().item<float>(), "padded steps get no attention");
    }

    [TestMethod]
    public void AttentionPoolingWeightsSumToOne()
    {
        manual_seed(1);
        using var pooling = new SequencePoolingModule(SequencePooling.Attention, 6);
        using var input = randn(2, 4, 6);
        using var mask = tensor(new[] { true, true, true, false, true, true, true, true }, [2, 4]);

        using var weights = pooling.AttentionWeights(input, mask);

        using var sums = weights.sum(1);
        Assert.IsTrue(sums.allclose(ones_like(sums), atol: 1e-6));
        Assert.AreEqual(0f, weights[0, 3].item<float>());
    }

    [TestMethod]
    [DynamicData(nameof(TokenSequenceTests.TokenNetworks), typeof(TokenSequenceTests))]
    public void GradientReachesEveryParameter(string name, NetworkSpec spec)
    {
        manual_seed(2);
        using var module = spec.CreateModule();
        module.train();
        using var scope = NewDisposeScope();
        var batch = tensor(new float[] { 3, 1, 4, -1, -1, 5, 9, 2, 6, 5, 0, 7, 8, -1, -1 }, [3, 5]);

        module.forward(batch).pow(2).sum().backward();

        foreach (var (parameterName, parameter) in module.named_parameters())
        {
            Assert.IsNotNull(parameter.grad, $"{name}: {parameterName} has no gradient");
            Assert.IsGreaterThan(0f, parameter.grad.abs().max().item<float>(), $"{name}: {parameterName} gets no gradient");
        }
    }

    [TestMethod]
    [DataRow(SequencePooling.Mean)]
    [DataRow(SequencePooling.First)]
    [DataRow(SequencePooling.Attention)]
    public void TheOnnxGraphOfANumericTransformerComputesWhatTorchSharpComputes(SequencePooling pooling)
    {
        List<LayerSpec> layers = [new SequenceLayoutLayer(6, 2), new SequenceProjectionLayer(2, 8)];
        if (pooling == SequencePooling.First)
            layers.Add(new ClassTokenLayer(8));
        layers.AddRange([new PositionalEncodingLayer(7, 8), new TransformerEncoderLayer(8, 2, 16), new SequenceLayerNormLayer(8),
            new SequencePoolingLayer(pooling, 8), new LinearLayer(8, 1)]);

        SequenceTestData.AssertOnnxMatchesTorchSharp(new NetworkSpec([12], layers), SequenceTestData.RandomExamples(10, 12));
    }

    [TestMethod]
    public void ATransformerClassifiesTokenSequencesWithAClassToken()
    {
        var ml = new MLContext(seed: 1);
        var trainText = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(400, seed: 1));
        var tokens = SequenceTestData.TokenPipeline(ml, trainText);
        var options = Small(epochs: 8);
        options.Pooling = SequencePooling.First;

        var model = ml.BinaryClassification.Trainers.TransformerNetwork(options).Fit(tokens.Transform(trainText));

        var test = tokens.Transform(ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(200, seed: 2)));
        var accuracy = ml.BinaryClassification.Evaluate(model.Transform(test)).Accuracy;
        Assert.IsGreaterThan(0.95, accuracy, $"accuracy {accuracy:F3}");
    }

    [TestMethod]
    public void ATransformerLearnsWhetherTheFirstValueExceedsTheLast()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(600, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(300, seed: 2));

        var model = ml.BinaryClassification.Trainers.TransformerNetwork(Small(epochs: 15)).Fit(train);

        var accuracy = ml.BinaryClassification.Evaluate(model.Transform(test)).Accuracy;
        Assert.IsGreaterThan(0.9, accuracy, $"accuracy {accuracy:F3}");
    }

    [TestMethod]
    public void ATransformerModelScoresTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SequenceTestData.RecallFirst(200, seed: 1));
        var options = Small(epochs: 2);
        options.Pooling = SequencePooling.Attention;
        var model = ml.Regression.Trainers.TransformerNetwork(options).Fit(data);

        SaveLoadTests.AssertFreshProcessAgrees(ml, model, data, "regression", scored => scored.GetColumn<float>("Score").Select(s => ("", new[] { s })));
    }

    [TestMethod]
    public void HeadsThatDoNotDivideTheDimensionsAreRejectedByName()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Regression.Trainers.TransformerNetwork(new TransformerNetworkOptions { ModelDimensions = 30, Heads = 4 }));
        StringAssert.Contains(error.Message, "Heads");
        StringAssert.Contains(error.Message, "ModelDimensions (30)");
    }
}
