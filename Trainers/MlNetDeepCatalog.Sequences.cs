using Microsoft.ML;
using MlNetDeep.Networks;
using MlNetDeep.Tasks;

namespace MlNetDeep;

// The sequence trainers: RecurrentNetwork (LSTM, GRU) and TransformerNetwork, in all three catalogs.
public static partial class MlNetDeepCatalog
{
    /// <summary>An LSTM or GRU network for sequence classification: Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="kind">LSTM or GRU.</param>
    /// <param name="hiddenSize">Units per layer and direction.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data (early stopping on a 10% validation split usually ends sooner).</param>
    public static DeepTrainer RecurrentNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", RecurrentKind kind = RecurrentKind.Lstm, int hiddenSize = 128, int numberOfEpochs = 50) =>
        catalog.RecurrentNetwork(RecurrentOptions(labelColumnName, featureColumnName, kind, hiddenSize, numberOfEpochs));

    /// <summary>An LSTM or GRU network for sequence classification, with all options.</summary>
    public static DeepTrainer RecurrentNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, RecurrentNetworkOptions options) =>
        new(catalog, options, new RecurrentArchitecture(options), MulticlassTask.Instance);

    /// <summary>An LSTM or GRU network for binary sequence classification: Score is the logit, Probability its sigmoid, PredictedLabel a Boolean.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="kind">LSTM or GRU.</param>
    /// <param name="hiddenSize">Units per layer and direction.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data.</param>
    public static DeepTrainer RecurrentNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", RecurrentKind kind = RecurrentKind.Lstm, int hiddenSize = 128, int numberOfEpochs = 50) =>
        catalog.RecurrentNetwork(RecurrentOptions(labelColumnName, featureColumnName, kind, hiddenSize, numberOfEpochs));

    /// <summary>An LSTM or GRU network for binary sequence classification, with all options.</summary>
    public static DeepTrainer RecurrentNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, RecurrentNetworkOptions options) =>
        new(catalog, options, new RecurrentArchitecture(options), BinaryTask.Instance);

    /// <summary>An LSTM or GRU network for sequence regression and forecasting: Score is the prediction.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">A Single, Double or UInt32 label.</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="kind">LSTM or GRU.</param>
    /// <param name="hiddenSize">Units per layer and direction.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data.</param>
    public static DeepTrainer RecurrentNetwork(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", RecurrentKind kind = RecurrentKind.Lstm, int hiddenSize = 128, int numberOfEpochs = 50) =>
        catalog.RecurrentNetwork(RecurrentOptions(labelColumnName, featureColumnName, kind, hiddenSize, numberOfEpochs));

    /// <summary>An LSTM or GRU network for sequence regression and forecasting, with all options.</summary>
    public static DeepTrainer RecurrentNetwork(this RegressionCatalog.RegressionTrainers catalog, RecurrentNetworkOptions options) =>
        new(catalog, options, new RecurrentArchitecture(options), RegressionTask.Instance);

    /// <summary>A Transformer encoder for sequence classification: Score holds class probabilities, PredictedLabel has the label's key type.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label: a key (use MapValueToKey), or class indices as UInt32/Single/Double.</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="numberOfLayers">Encoder blocks.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data (early stopping on a 10% validation split usually ends sooner).</param>
    public static DeepTrainer TransformerNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int numberOfLayers = 2, int numberOfEpochs = 50) =>
        catalog.TransformerNetwork(TransformerOptions(labelColumnName, featureColumnName, numberOfLayers, numberOfEpochs));

    /// <summary>A Transformer encoder for sequence classification, with all options.</summary>
    public static DeepTrainer TransformerNetwork(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, TransformerNetworkOptions options) =>
        new(catalog, options, new TransformerArchitecture(options), MulticlassTask.Instance);

    /// <summary>A Transformer encoder for binary sequence classification: Score is the logit, Probability its sigmoid, PredictedLabel a Boolean.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">A Boolean label (or numbers where &gt; 0 is the positive class, or a two-value key).</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="numberOfLayers">Encoder blocks.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data.</param>
    public static DeepTrainer TransformerNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int numberOfLayers = 2, int numberOfEpochs = 50) =>
        catalog.TransformerNetwork(TransformerOptions(labelColumnName, featureColumnName, numberOfLayers, numberOfEpochs));

    /// <summary>A Transformer encoder for binary sequence classification, with all options.</summary>
    public static DeepTrainer TransformerNetwork(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, TransformerNetworkOptions options) =>
        new(catalog, options, new TransformerArchitecture(options), BinaryTask.Instance);

    /// <summary>A Transformer encoder for sequence regression and forecasting: Score is the prediction.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">A Single, Double or UInt32 label.</param>
    /// <param name="featureColumnName">A numeric sequence (fixed-size vector; steps from its dimensions) or a token sequence (vector of keys).</param>
    /// <param name="numberOfLayers">Encoder blocks.</param>
    /// <param name="numberOfEpochs">Maximum passes over the data.</param>
    public static DeepTrainer TransformerNetwork(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int numberOfLayers = 2, int numberOfEpochs = 50) =>
        catalog.TransformerNetwork(TransformerOptions(labelColumnName, featureColumnName, numberOfLayers, numberOfEpochs));

    /// <summary>A Transformer encoder for sequence regression and forecasting, with all options.</summary>
    public static DeepTrainer TransformerNetwork(this RegressionCatalog.RegressionTrainers catalog, TransformerNetworkOptions options) =>
        new(catalog, options, new TransformerArchitecture(options), RegressionTask.Instance);

    private static RecurrentNetworkOptions RecurrentOptions(string label, string features, RecurrentKind kind, int hiddenSize, int epochs) =>
        new() { LabelColumnName = label, FeatureColumnName = features, Kind = kind, HiddenSize = hiddenSize, NumberOfEpochs = epochs };

    private static TransformerNetworkOptions TransformerOptions(string label, string features, int layers, int epochs) =>
        new() { LabelColumnName = label, FeatureColumnName = features, NumberOfLayers = layers, NumberOfEpochs = epochs };
}
