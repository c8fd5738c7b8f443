using System.Globalization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetDeep.Engine;

/// <summary>
/// Consecutive top-level layers of a network (layers <see cref="FirstLayer"/> to <see cref="FirstLayer"/> +
/// <see cref="LayerCount"/> − 1) trained as one unit: one optimizer parameter group with its own learning-rate
/// multiplier (discriminative learning rates), frozen until epoch <see cref="TrainableFromEpoch"/>.
/// </summary>
internal sealed record LayerGroup(string Name, int FirstLayer, int LayerCount, double LearningRateMultiplier = 1, int TrainableFromEpoch = 1)
{
    /// <summary>Never trained.</summary>
    public const int AlwaysFrozen = int.MaxValue;

    public bool Contains(int layer) => layer >= FirstLayer && layer < FirstLayer + LayerCount;

    /// <summary>The parameters of each group, in group order; a parameter outside every group is an error.</summary>
    public static List<List<Parameter>> Partition(nn.Module network, IReadOnlyList<LayerGroup> groups)
    {
        var partition = groups.Select(_ => new List<Parameter>()).ToList();
        foreach (var (name, parameter) in network.named_parameters())
        {
            var group = IndexOf(groups, LayerOf(name))
                ?? throw new InvalidOperationException($"Parameter '{name}' belongs to no layer group.");
            partition[group].Add(parameter);
        }
        return partition;
    }

    /// <summary>The top-level layer index of a weight named "{layer}.…".</summary>
    public static int LayerOf(string weightName) =>
        int.Parse(weightName.AsSpan(0, weightName.IndexOf('.', StringComparison.Ordinal)), CultureInfo.InvariantCulture);

    private static int? IndexOf(IReadOnlyList<LayerGroup> groups, int layer)
    {
        for (var i = 0; i < groups.Count; i++)
        {
            if (groups[i].Contains(layer))
                return i;
        }
        return null;
    }
}

/// <summary>
/// Freezes layer groups until their <see cref="LayerGroup.TrainableFromEpoch"/> (head first, deeper stages later): a frozen
/// group's parameters get no gradients and its batch normalization keeps its running statistics (inference mode).
/// The state follows from the epoch alone, so resumed runs need nothing saved.
/// </summary>
internal sealed class LayerFreezer(IReadOnlyList<LayerGroup> groups) : TrainingCallback
{
    private List<List<Parameter>> parameters = [];
    private List<nn.Module> frozenLayers = [];

    public override void OnTrainingBegin(TrainingContext context) => parameters = LayerGroup.Partition(context.Network, groups);

    public override void OnEpochBegin(TrainingContext context)
    {
        var layers = context.Network.named_children().ToList();
        frozenLayers = [];
        for (var g = 0; g < groups.Count; g++)
        {
            var trainable = context.Epoch >= groups[g].TrainableFromEpoch;
            foreach (var parameter in parameters[g])
                parameter.requires_grad = trainable;
            if (!trainable)
                frozenLayers.AddRange(layers.Where(l => groups[g].Contains(int.Parse(l.name, CultureInfo.InvariantCulture))).Select(l => l.module));
        }
    }

    // The engine switches the whole network to training mode each epoch; frozen layers go back to inference mode.
    public override void OnBatchBegin(TrainingContext context)
    {
        foreach (var layer in frozenLayers)
            layer.eval();
    }

    public override void OnTrainingEnd(TrainingContext context)
    {
        foreach (var parameter in parameters.SelectMany(p => p))
            parameter.requires_grad = true;
    }
}
