using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>The body of a network, before the optional input standardization MlNetDeep puts in front.</summary>
internal sealed record NetworkBody(IReadOnlyList<LayerSpec> Layers, IReadOnlyList<nn.Module<Tensor, Tensor>>? Modules = null);

/// <summary>
/// An architecture: builds the network body for an input shape and the output size the task needs. Architectures that
/// are defined by options return layer definitions; a user's own TorchSharp network returns its modules as well.
/// </summary>
internal abstract class NetworkArchitecture
{
    public abstract NetworkBody Create(long[] inputShape, long outputSize);
}
