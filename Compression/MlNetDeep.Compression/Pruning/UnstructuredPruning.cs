using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Compression;

/// <summary>One-shot magnitude pruning of a trained network's stored weights.</summary>
internal static class UnstructuredPruning
{
    public static TrainedNetwork Prune(TrainedNetwork network, double sparsity, PruningScope scope, IReadOnlyList<string>? weightNames)
    {
        if (sparsity is not (>= 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, $"Sparsity must be in [0, 1) (got {sparsity}).");
        var names = PrunableWeights.Select(network.Weights, weightNames, "weights");
        using var disposeScope = NewDisposeScope();
        var tensors = names.Select(n => tensor(network.Weights[n].Values, network.Weights[n].Shape)).ToArray();
        var masks = scope == PruningScope.Global
            ? WeightMasks.MagnitudeMask(tensors, sparsity)
            : tensors.Select(t => WeightMasks.MagnitudeMask([t], sparsity)[0]).ToArray();
        var weights = network.Weights.ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var pruned = tensors[i].mul(masks[i]).contiguous();
            weights[names[i]] = new WeightTensor(pruned.shape, pruned.data<float>().ToArray());
        }
        return new TrainedNetwork(network.Spec, weights, network.Task, network.ClassCount);
    }
}
