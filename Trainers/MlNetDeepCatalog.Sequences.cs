using Microsoft.ML;
using MlNetDeep.Tasks;

namespace MlNetDeep;

// The sequence trainers: RecurrentNetwork (LSTM, GRU) and TransformerNetwork, in all three catalogs.
public static partial class MlNetDeepCatalog
{
    /// <summary>An LSTM or GRU network for sequence classification: Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="kind">LSTM or GRU; null for the default (LSTM).</param>
    /// <param name="hiddenSize">Units per layer and direction; null for the default (128).</param>
    public static DeepTrainer RecurrentNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, RecurrentKind? kind = null, int? hiddenSize = null)
    {
        var options = Configure(new RecurrentNetworkOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (kind is { } cell)
            options.Kind = cell;
        if (hiddenSize is { } units)
            options.HiddenSize = units;
        return catalog.RecurrentNetwork(options);
    }

    /// <summary>An LSTM or GRU network for sequence classification, with all options.</summary>
    public static DeepTrainer RecurrentNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, RecurrentNetworkOptions options) =>
        new(catalog, options, new RecurrentArchitecture(options), MulticlassTask.Instance);

    /// <summary>An LSTM or GRU network for binary sequence classification: Score is the logit, Probability its sigmoid, PredictedLabel a Boolean.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="kind">LSTM or GRU; null for the default (LSTM).</param>
    /// <param name="hiddenSize">Units per layer and direction; null for the default (128).</param>
    public static DeepTrainer RecurrentNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, RecurrentKind? kind = null, int? hiddenSize = null)
    {
        var options = Configure(new RecurrentNetworkOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (kind is { } cell)
            options.Kind = cell;
        if (hiddenSize is { } units)
            options.HiddenSize = units;
        return catalog.RecurrentNetwork(options);
    }

    /// <summary>An LSTM or GRU network for binary sequence classification, with all options.</summary>
    public static DeepTrainer RecurrentNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, RecurrentNetworkOptions options) =>
        new(catalog, options, new RecurrentArchitecture(options), BinaryTask.Instance);

    /// <summary>An LSTM or GRU network for sequence regression and forecasting: Score is the prediction.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">A Single, Double or UInt32 label, or a known-size Single vector for several values.</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="kind">LSTM or GRU; null for the default (LSTM).</param>
    /// <param name="hiddenSize">Units per layer and direction; null for the default (128).</param>
    public static DeepTrainer RecurrentNetwork(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, RecurrentKind? kind = null, int? hiddenSize = null)
    {
        var options = Configure(new RecurrentNetworkOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (kind is { } cell)
            options.Kind = cell;
        if (hiddenSize is { } units)
            options.HiddenSize = units;
        return catalog.RecurrentNetwork(options);
    }

    /// <summary>An LSTM or GRU network for sequence regression and forecasting, with all options.</summary>
    public static DeepTrainer RecurrentNetwork(this RegressionCatalog.RegressionTrainers catalog, RecurrentNetworkOptions options) =>
        new(catalog, options, new RecurrentArchitecture(options), RegressionTask.Instance);

    /// <summary>A Transformer encoder for sequence classification: Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="numberOfLayers">Encoder blocks; null for the default (2).</param>
    public static DeepTrainer TransformerNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, int? numberOfLayers = null)
    {
        var options = Configure(new TransformerNetworkOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (numberOfLayers is { } blocks)
            options.NumberOfLayers = blocks;
        return catalog.TransformerNetwork(options);
    }

    /// <summary>A Transformer encoder for sequence classification, with all options.</summary>
    public static DeepTrainer TransformerNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, TransformerNetworkOptions options) =>
        new(catalog, options, new TransformerArchitecture(options), MulticlassTask.Instance);

    /// <summary>A Transformer encoder for binary sequence classification: Score is the logit, Probability its sigmoid, PredictedLabel a Boolean.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="numberOfLayers">Encoder blocks; null for the default (2).</param>
    public static DeepTrainer TransformerNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, int? numberOfLayers = null)
    {
        var options = Configure(new TransformerNetworkOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (numberOfLayers is { } blocks)
            options.NumberOfLayers = blocks;
        return catalog.TransformerNetwork(options);
    }

    /// <summary>A Transformer encoder for binary sequence classification, with all options.</summary>
    public static DeepTrainer TransformerNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, TransformerNetworkOptions options) =>
        new(catalog, options, new TransformerArchitecture(options), BinaryTask.Instance);

    /// <summary>A Transformer encoder for sequence regression and forecasting: Score is the prediction.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">A Single, Double or UInt32 label, or a known-size Single vector for several values.</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="exampleWeightColumnName">Optional non-negative example weights.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data; null for the options' default (50; early stopping on a 10% validation split usually ends sooner).</param>
    /// <param name="learningRate">The (initial) learning rate; null for the options' default (1e-3).</param>
    /// <param name="numberOfLayers">Encoder blocks; null for the default (2).</param>
    public static DeepTrainer TransformerNetwork(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int? numberOfEpochs = null, double? learningRate = null, int? numberOfLayers = null)
    {
        var options = Configure(new TransformerNetworkOptions(), labelColumnName, featureColumnName, exampleWeightColumnName, numberOfEpochs, learningRate);
        if (numberOfLayers is { } blocks)
            options.NumberOfLayers = blocks;
        return catalog.TransformerNetwork(options);
    }

    /// <summary>A Transformer encoder for sequence regression and forecasting, with all options.</summary>
    public static DeepTrainer TransformerNetwork(this RegressionCatalog.RegressionTrainers catalog, TransformerNetworkOptions options) =>
        new(catalog, options, new TransformerArchitecture(options), RegressionTask.Instance);
}
