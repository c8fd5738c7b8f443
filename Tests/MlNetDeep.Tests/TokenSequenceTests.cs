using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class TokenSequenceTests
{
    private const int KeyCount = 20;

    /// <summary>Networks over token keys 1…20 that output one value, one per sequence architecture and pooling.</summary>
    public static IEnumerable<object[]> TokenNetworks() =>
    [
        ["LSTM, last states", Network(new RecurrentLayer(RecurrentKind.Lstm, 8, 6))],
        ["bidirectional GRU, 2 layers, last states", Network(new RecurrentLayer(RecurrentKind.Gru, 8, 6, 2, Bidirectional: true))],
        ["bidirectional LSTM, mean", Network(new RecurrentLayer(RecurrentKind.Lstm, 8, 6, Bidirectional: true, ReturnSequence: true), new SequencePoolingLayer(SequencePooling.Mean, 12))],
        ["GRU, attention pooling", Network(new RecurrentLayer(RecurrentKind.Gru, 8, 6, ReturnSequence: true), new SequencePoolingLayer(SequencePooling.Attention, 6))],
        ["Transformer, mean", Network(new PositionalEncodingLayer(10, 8), new TransformerEncoderLayer(8, 2, 16), new SequenceLayerNormLayer(8), new SequencePoolingLayer(SequencePooling.Mean, 8))],
        ["Transformer, [CLS]", Network(new ClassTokenLayer(8), new PositionalEncodingLayer(11, 8), new TransformerEncoderLayer(8, 2, 16), new TransformerEncoderLayer(8, 4, 16), new SequencePoolingLayer(SequencePooling.First, 8))],
        ["Transformer, attention pooling", Network(new PositionalEncodingLayer(10, 8), new TransformerEncoderLayer(8, 2, 16), new SequencePoolingLayer(SequencePooling.Attention, 8))],
    ];

    private static NetworkSpec Network(params LayerSpec[] encoder)
    {
        var width = new NetworkSpec([-1], [new TokenEmbeddingLayer(KeyCount, 8, MaxLength: 10), .. encoder]).OutputShape[0];
        return new NetworkSpec([-1], [new TokenEmbeddingLayer(KeyCount, 8, MaxLength: 10), .. encoder, new LinearLayer(width, 1)]);
    }

    [TestMethod]
    [DynamicData(nameof(TokenNetworks))]
    public void PaddingNeverChangesAPrediction(string name, NetworkSpec spec)
    {
        manual_seed(3);
        using var module = spec.CreateModule();
        module.eval();
        float[][] sequences = [[3, 1, 4], [5, 9, 2, 6, 5, 3, 5], [0, 7], [8, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]];
        var longest = sequences.Max(s => s.Length);
        var padded = sequences.SelectMany(s => s.Concat(Enumerable.Repeat(-1f, longest - s.Length))).ToArray();

        using var scope = NewDisposeScope();
        var batch = module.forward(tensor(padded, [sequences.Length, longest])).data<float>().ToArray();

        for (var i = 0; i < sequences.Length; i++)
        {
            var alone = module.forward(tensor(sequences[i]).unsqueeze(0)).data<float>()[0];
            Assert.AreEqual(alone, batch[i], 1e-5f, $"{name}: sequence {i} scored alone and in a padded batch");
        }
    }

    [TestMethod]
    [DynamicData(nameof(TokenNetworks))]
    public void TheOnnxGraphComputesWhatTorchSharpComputesForTokenSequences(string name, NetworkSpec spec)
    {
        // Lengths 1…14 cross MaxLength 10; keys 0…20 include the unknown key 0.
        SequenceTestData.AssertOnnxMatchesTorchSharp(spec, SequenceTestData.RandomExamples(28, 14, KeyCount));
    }

    [TestMethod]
    public void ARecurrentNetworkClassifiesTokenSequences()
    {
        var ml = new MLContext(seed: 1);
        var trainText = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(400, seed: 1));
        var tokens = SequenceTestData.TokenPipeline(ml, trainText);
        var options = new RecurrentNetworkOptions { HiddenSize = 16, EmbeddingDimensions = 16, NumberOfEpochs = 10, Seed = 3, BatchSize = 32, LearningRate = 5e-3, Bidirectional = true, EarlyStopping = null };

        var model = ml.BinaryClassification.Trainers.RecurrentNetwork(options).Fit(tokens.Transform(trainText));

        var test = tokens.Transform(ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(200, seed: 2)));
        var accuracy = ml.BinaryClassification.Evaluate(model.Transform(test)).Accuracy;
        Assert.IsGreaterThan(0.95, accuracy, $"accuracy {accuracy:F3}");
    }

    [TestMethod]
    public void ARecurrentNetworkTellsRealSpamFromHam()
    {
        var ml = new MLContext(seed: 1);
        var mails = ml.Data.LoadFromTextFile<Mail>(Path.Combine("Data", "spam-assassin", "mails.tsv"), hasHeader: true);
        var train = ml.Data.TakeRows(mails, 900);
        var test = ml.Data.SkipRows(mails, 900);
        var pipeline = ml.Transforms.Text.NormalizeText("Normalized", "Text", keepNumbers: false)
            .Append(ml.Transforms.Text.TokenizeIntoWords("Tokens", "Normalized"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Features", "Tokens"))
            .Append(ml.BinaryClassification.Trainers.RecurrentNetwork(new RecurrentNetworkOptions
            {
                Kind = RecurrentKind.Gru, HiddenSize = 16, EmbeddingDimensions = 16, Bidirectional = true, Pooling = SequencePooling.Attention,
                NumberOfEpochs = 8, BatchSize = 32, LearningRate = 5e-3, Seed = 3, EarlyStopping = null, ValidationFraction = 0,
            }));

        var model = pipeline.Fit(train);

        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
        Console.WriteLine($"accuracy {metrics.Accuracy:F3}, F1 {metrics.F1Score:F3}");
        // Balanced classes, so chance is 0.5. 900 short mails leave most words seen once (the benchmark's full corpus reaches 0.97).
        Assert.IsGreaterThan(0.8, metrics.Accuracy, $"accuracy {metrics.Accuracy:F3} on 300 held-out mails");
    }

    [TestMethod]
    public void TheFittedModelScoresWhatTheTrainedNetworkComputes()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(100, seed: 1));
        var tokens = SequenceTestData.TokenPipeline(ml, text);
        var model = ml.BinaryClassification.Trainers.RecurrentNetwork(new RecurrentNetworkOptions { HiddenSize = 8, EmbeddingDimensions = 8, NumberOfEpochs = 1, Seed = 3 })
            .Fit(tokens.Transform(text));
        var reviews = ml.Data.LoadFromEnumerable(new[] { "the movie was great", "awful zebra plot", "zebra", "great", "zebra zebra", "so very very poor", "zebra giraffe lion", "" }.Select(t => new TextExample { Text = t }));
        var keyed = tokens.Transform(reviews);

        var scores = model.Transform(keyed).GetColumn<float>("Score").ToArray();

        using var network = model.Network.Spec.CreateModule();
        WeightTensor.LoadAll(network, model.Network.Weights);
        network.eval();
        var keys = keyed.GetColumn<uint[]>("Features").ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            using var input = tensor(keys[i].Select(k => (float)k).ToArray()).unsqueeze(0);
            using var logit = network.forward(input);
            Assert.AreEqual(logit.data<float>()[0], scores[i], 1e-5f, $"review {i}");
        }
    }

    [TestMethod]
    public void ATextModelSavesLoadsAndPredictsWithUnknownWords()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(200, seed: 1));
        var options = new TransformerNetworkOptions { ModelDimensions = 16, Heads = 2, NumberOfLayers = 1, FeedForwardSize = 32, NumberOfEpochs = 2, Seed = 3, EarlyStopping = null };
        var model = SequenceTestData.TokenPipelineEstimator(ml).Append(ml.BinaryClassification.Trainers.TransformerNetwork(options)).Fit(text);
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, text.Schema, folder.File("model.zip"));

        var loaded = new MLContext().Model.Load(folder.File("model.zip"), out _);
        using var before = ml.Model.CreatePredictionEngine<TextExample, BinaryScore>(model);
        using var after = ml.Model.CreatePredictionEngine<TextExample, BinaryScore>(loaded);
        foreach (var review in new[] { "the movie was great", "awful plot", "great zebra", "great giraffe", "zebra", "" })
            Assert.AreEqual(before.Predict(new TextExample { Text = review }).Score, after.Predict(new TextExample { Text = review }).Score, 1e-5f, review);

        Assert.AreEqual(after.Predict(new TextExample { Text = "great zebra" }).Score, after.Predict(new TextExample { Text = "great giraffe" }).Score,
            "words missing from the dictionary share the unknown token");
        Assert.AreEqual(after.Predict(new TextExample { Text = "zebra" }).Score, after.Predict(new TextExample { Text = "" }).Score,
            "an empty text scores as one unknown token");
    }

    [TestMethod]
    public void CharacterTokensWorkThroughADictionaryOfTheCharactersSeen()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(100, seed: 1));
        var pipeline = ml.Transforms.Text.TokenizeIntoCharactersAsKeys("Characters", "Text")
            .Append(ml.Transforms.Conversion.MapKeyToValue("CharacterText", "Characters"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Features", "CharacterText"))
            .Append(ml.BinaryClassification.Trainers.TransformerNetwork(new TransformerNetworkOptions
                { ModelDimensions = 8, Heads = 2, NumberOfLayers = 1, FeedForwardSize = 16, NumberOfEpochs = 1, Seed = 3, MaxSequenceLength = 64 }));

        var model = pipeline.Fit(text);

        var scores = model.Transform(ml.Data.LoadFromEnumerable(new[] { new TextExample { Text = "great film ☃" } })).GetColumn<float>("Score").ToArray();
        Assert.IsTrue(float.IsFinite(scores.Single()));
    }

    [TestMethod]
    public void EmptyTokenSequencesAreAnErrorNamingTheRow()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Data.LoadFromEnumerable(new[] { new TextExample { Text = "great film", Label = true }, new TextExample { Text = "", Label = false } });
        var data = SequenceTestData.TokenPipeline(ml, text).Transform(text);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.BinaryClassification.Trainers.RecurrentNetwork(new RecurrentNetworkOptions { NumberOfEpochs = 1 }).Fit(data));

        StringAssert.Contains(error.Message, "'Features'");
        StringAssert.Contains(error.Message, "empty token sequence in row 1");
    }

    [TestMethod]
    public void TokenSequencesNeedCachedData()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(20, seed: 1));
        var data = SequenceTestData.TokenPipeline(ml, text).Transform(text);
        var options = new RecurrentNetworkOptions { NumberOfEpochs = 1, DataLoading = DataLoadingMode.Streaming };

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.RecurrentNetwork(options).Fit(data));

        StringAssert.Contains(error.Message, "CacheAsTensors");
    }

    [TestMethod]
    public void TokenKeysAreRejectedByTrainersThatDoNotReadSequences()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(20, seed: 1));
        var data = SequenceTestData.TokenPipeline(ml, text).Transform(text);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.FeedForward().Fit(data));

        StringAssert.Contains(error.Message, "'Features'");
    }

    private sealed class Mail
    {
        [LoadColumn(0)]
        public bool Label { get; set; }

        [LoadColumn(1)]
        public string Text { get; set; } = "";
    }

    private sealed class BinaryScore
    {
        public bool PredictedLabel { get; set; }

        public float Score { get; set; }
    }
}
