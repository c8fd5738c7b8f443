using Microsoft.ML;

namespace MlNetDeep.Search;

/// <summary>
/// Architecture and hyperparameter search in ML.NET's task catalogs: <c>ml.MulticlassClassification.Search(space, options)</c>
/// returns a <see cref="DeepSearch{TOptions}"/> to <see cref="DeepSearch{TOptions}.Run"/>.
/// </summary>
public static class SearchCatalog
{
    /// <summary>Searches feed-forward networks for multiclass classification (metric: validation accuracy unless set).</summary>
    public static DeepSearch<FeedForwardOptions> Search(this MulticlassClassificationCatalog catalog, FeedForwardSpace space, DeepSearchOptions? options = null) =>
        new(space, o => catalog.Trainers.FeedForward(o), options ?? new(), SearchMetric.Accuracy);

    /// <summary>Searches convolutional networks for image classification (metric: validation accuracy unless set).</summary>
    public static DeepSearch<ConvolutionalNetworkOptions> Search(this MulticlassClassificationCatalog catalog, ConvolutionalNetworkSpace space, DeepSearchOptions? options = null) =>
        new(space, o => catalog.Trainers.ConvolutionalNetwork(o), options ?? new(), SearchMetric.Accuracy);

    /// <summary>Searches feed-forward networks for binary classification (metric: validation accuracy unless set).</summary>
    public static DeepSearch<FeedForwardOptions> Search(this BinaryClassificationCatalog catalog, FeedForwardSpace space, DeepSearchOptions? options = null) =>
        new(space, o => catalog.Trainers.FeedForward(o), options ?? new(), SearchMetric.Accuracy);

    /// <summary>Searches feed-forward networks for regression (metric: validation RMSE unless set).</summary>
    public static DeepSearch<FeedForwardOptions> Search(this RegressionCatalog catalog, FeedForwardSpace space, DeepSearchOptions? options = null) =>
        new(space, o => catalog.Trainers.FeedForward(o), options ?? new(), SearchMetric.Rmse);

    /// <summary>
    /// Searches any trainer's options: <paramref name="trainer"/> makes a trial's trainer from its options (e.g.
    /// <c>o => ml.Regression.Trainers.RecurrentNetwork(o)</c> with a space over RecurrentNetworkOptions' Kind, HiddenSize, NumberOfLayers).
    /// </summary>
    public static DeepSearch<TOptions> Search<TOptions>(this TrainCatalogBase catalog, OptionsSpace<TOptions> space, Func<TOptions, DeepTrainer> trainer,
        DeepSearchOptions? options = null) where TOptions : DeepTrainerOptions, new() =>
        new(space, trainer, options ?? new(), catalog is RegressionCatalog ? SearchMetric.Rmse : SearchMetric.Accuracy);
}
