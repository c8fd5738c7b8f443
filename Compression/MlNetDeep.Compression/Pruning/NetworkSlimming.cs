using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// The training callback behind <see cref="PruningCatalog.WithNetworkSlimming"/>: adds λ·Σ|γ| over the scales of every
/// batch normalization layer to the objective, so the scales of channels the network can do without shrink towards zero
/// (Liu et al., "Learning Efficient Convolutional Networks through Network Slimming", 2017). Then remove those channels
/// with <see cref="PruningCatalog.PruneUnits"/> and <see cref="PruningCriterion.BatchNormScale"/>.
/// </summary>
public sealed class NetworkSlimming : TrainingCallback
{
    private readonly NetworkSlimmingOptions options;

    /// <summary>A network slimming callback with <paramref name="options"/> (validated here).</summary>
    public NetworkSlimming(NetworkSlimmingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
    }

    /// <inheritdoc />
    public override void OnTrainingBegin(TrainingContext context)
    {
        var scales = context.Network.modules()
            .Select(m => m switch { BatchNorm1d b => b.weight, BatchNorm2d b => b.weight, _ => null })
            .OfType<Parameter>().ToArray();
        if (scales.Length == 0)
            throw new ArgumentException("Network slimming penalizes batch normalization scales, but the network has no batch normalization layer (set BatchNormalization in the trainer's options).");
        context.Objective.Add(new BatchNormScalePenalty(scales), options.ScalePenalty);
    }

    /// <summary>Σ|γ| over the given batch normalization scales: one value per batch.</summary>
    private sealed class BatchNormScalePenalty(IReadOnlyList<Parameter> scales) : ObjectiveTerm
    {
        public override string Name => "BatchNormScalePenalty";

        public override Tensor Compute(ObjectiveBatch batch) => scales.Select(s => s.abs().sum()).Aggregate((a, b) => a + b);
    }
}
