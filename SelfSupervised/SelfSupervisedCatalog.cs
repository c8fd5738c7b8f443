using Microsoft.ML;

namespace MlNetDeep;

/// <summary>MlNetDeep's learning without labels in ML.NET's transforms catalog: <c>ml.Transforms.ContrastivePretraining(...)</c>.</summary>
public static class SelfSupervisedCatalog
{
    /// <summary>
    /// Contrastive pretraining on unlabeled rows; the fitted transformer adds <paramref name="embeddingColumnName"/>, the
    /// encoder's embedding. The encoder is the classic small CNN for images, a [256, 128] feed-forward network otherwise.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="embeddingColumnName">The embedding column to add.</param>
    /// <param name="featureColumnName">Images (with a shape) or a fixed-size feature vector.</param>
    /// <param name="images">True for image views and a CNN encoder, false for SCARF views and a feed-forward encoder.</param>
    /// <param name="numberOfEpochs">Passes over the rows; null for the default (20).</param>
    /// <param name="temperature">The NT-Xent temperature; null for the default (0.5).</param>
    public static ContrastivePretrainer ContrastivePretraining(this TransformsCatalog catalog, string embeddingColumnName = "Embedding",
        string featureColumnName = "Features", bool images = true, int? numberOfEpochs = null, double? temperature = null)
    {
        var options = new ContrastivePretrainingOptions
        {
            EmbeddingColumnName = embeddingColumnName,
            FeatureColumnName = featureColumnName,
            Encoder = images ? new ConvolutionalNetworkOptions() : new FeedForwardOptions(),
        };
        if (numberOfEpochs is { } epochs)
            options.NumberOfEpochs = epochs;
        if (temperature is { } t)
            options.Temperature = t;
        return catalog.ContrastivePretraining(options);
    }

    /// <summary>Contrastive pretraining with all options.</summary>
    public static ContrastivePretrainer ContrastivePretraining(this TransformsCatalog catalog, ContrastivePretrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ContrastivePretrainer(options, UnlabeledData.NextSeed(catalog, "MlNetDeep.ContrastivePretraining"));
    }
}
