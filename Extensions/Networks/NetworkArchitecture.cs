using MlNetDeep.Data;
using MlNetDeep.Engine;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>A network's layers, and — for a network the caller built — the modules that implement them.</summary>
internal sealed record NetworkBody(IReadOnlyList<LayerSpec> Layers, IReadOnlyList<nn.Module<Tensor, Tensor>>? Modules = null)
{
    /// <summary>Weights to start from (e.g. pretrained ones), named as in the network; the others keep their initialization.</summary>
    public IReadOnlyDictionary<string, WeightTensor>? InitialWeights { get; init; }

    /// <summary>Layer groups with their own learning-rate multipliers and unfreezing epochs, covering every layer with weights; null to train all alike.</summary>
    public IReadOnlyList<LayerGroup>? LayerGroups { get; init; }
}

/// <summary>
/// An architecture: builds the whole network for a feature column and the output size the task needs, with input
/// normalization (an <see cref="IInputStatisticsLayer"/>, filled from the training data) when asked for. Architectures
/// defined by options return layer definitions; a user's own TorchSharp network also returns its modules.
/// </summary>
internal abstract class NetworkArchitecture
{
    public abstract NetworkBody Create(FeatureColumn features, long outputSize, bool normalize);

    /// <summary>Whether the network reads token sequences (a vector of keys of any length) as well as numeric features.</summary>
    public virtual bool AcceptsTokenSequences => false;

    /// <summary>
    /// Whether a regression network ends in a <see cref="TargetScaleLayer"/> with the training labels' mean and standard
    /// deviation, so that its scores are on the labels' scale from the first epoch (every option-built architecture but
    /// PretrainedResNet18, whose saved layers must match the ones its options build).
    /// </summary>
    public virtual bool ScalesRegressionTargets => false;

    /// <summary>Whether <see cref="Create"/> returns layer groups (so continued training of a network it built uses them again).</summary>
    public virtual bool HasLayerGroups => false;

    /// <summary>The image the network reads from the feature column, for architectures that take images (and augmentation).</summary>
    public virtual ImageLayout? ImageLayoutOf(FeatureColumn features) => null;
}
