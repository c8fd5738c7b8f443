using Microsoft.ML;
using MlNetDeep.Compression;

namespace MlNetDeep;

/// <summary>
/// Pruning as ML.NET-style extension methods: <c>trainer.WithPruning(options)</c> and <c>trainer.WithNetworkSlimming()</c>
/// add a training callback to any MlNetDeep trainer; <c>ml.Model.PruneWeights(network, …)</c> and
/// <c>ml.Model.PruneUnits(network, options)</c> prune a trained network once (fine-tune it with <c>trainer.Fit(data, network)</c>).
/// </summary>
public static class PruningCatalog
{
    /// <summary>
    /// The same trainer, pruning the smallest-magnitude weights on <paramref name="options"/>' schedule and keeping them at
    /// zero. <c>Fit(data)</c> prunes gradually while training from scratch; <c>Fit(data, trainedNetwork)</c> with
    /// <see cref="PruningOptions.StartEpoch"/> = <see cref="PruningOptions.EndEpoch"/> = 1 prunes a trained network once and fine-tunes it.
    /// </summary>
    public static DeepTrainer WithPruning(this DeepTrainer trainer, PruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return trainer.WithCallbacks(new MagnitudePruning(options));
    }

    /// <summary>The same trainer, with an L1 penalty on batch normalization scales (network slimming) before <see cref="PruneUnits"/> by <see cref="PruningCriterion.BatchNormScale"/>.</summary>
    public static DeepTrainer WithNetworkSlimming(this DeepTrainer trainer, NetworkSlimmingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return trainer.WithCallbacks(new NetworkSlimming(options ?? new NetworkSlimmingOptions()));
    }

    /// <summary>
    /// The network with the <paramref name="sparsity"/> fraction of its weight matrices and kernels of smallest magnitude set
    /// to zero, ranked together (<see cref="PruningScope.Global"/>) or per weight tensor; <paramref name="weights"/> names the
    /// weights to prune (null: all). Fine-tune it with <c>trainer.WithPruning(new PruningOptions { Sparsity = …, StartEpoch = 1, EndEpoch = 1 }).Fit(data, network)</c>.
    /// </summary>
    /// <param name="catalog">ML.NET's model operations catalog (<c>ml.Model</c>).</param>
    /// <param name="network">A trained network, e.g. <c>model.Network</c> or <see cref="TrainedNetwork.Load"/>.</param>
    /// <param name="sparsity">The fraction of the pruned weights to set to zero, in [0, 1).</param>
    /// <param name="scope">Whether weights are ranked together or per tensor.</param>
    /// <param name="weights">The weights to prune by name; null for every weight matrix and convolution kernel.</param>
    public static TrainedNetwork PruneWeights(this ModelOperationsCatalog catalog, TrainedNetwork network, double sparsity,
        PruningScope scope = PruningScope.Global, IReadOnlyList<string>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(network);
        return UnstructuredPruning.Prune(network, sparsity, scope, weights);
    }

    /// <summary>
    /// A physically smaller network: <paramref name="options"/>' share of the neurons, convolution channels and attention
    /// heads removed, with their weights and the weights that read them. Fine-tune it with <c>trainer.Fit(data, network)</c>
    /// (any trainer of the same task: the network's own layers are kept, the trainer's architecture options ignored).
    /// </summary>
    /// <param name="catalog">ML.NET's model operations catalog (<c>ml.Model</c>).</param>
    /// <param name="network">A trained network, e.g. <c>model.Network</c> or <see cref="TrainedNetwork.Load"/>.</param>
    /// <param name="options">What to remove and how to rank it.</param>
    public static TrainedNetwork PruneUnits(this ModelOperationsCatalog catalog, TrainedNetwork network, StructuredPruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        return StructuredPruning.Prune(network, options);
    }
}
