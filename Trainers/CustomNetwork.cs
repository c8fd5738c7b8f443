using MlNetDeep.Data;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// Trains a TorchSharp network the caller built (a Sequential of supported layers). Its layers are trained in place, so the
/// caller's module holds the trained weights afterwards; an unsupported layer is an error at Fit that names it.
/// </summary>
internal sealed class CustomNetworkArchitecture(nn.Module network) : NetworkArchitecture
{
    public override NetworkBody Create(FeatureColumn features, long outputSize, bool normalize)
    {
        var (spec, modules) = NetworkSpec.Describe(network, [features.Size]);
        if (!normalize)
            return new NetworkBody(spec.Layers, modules);
        var standardize = new StandardizeLayer(features.Size);
        return new NetworkBody([standardize, .. spec.Layers], [standardize.CreateModule(), .. modules]);
    }
}
