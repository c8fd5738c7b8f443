namespace MlNetDeep;

/// <summary>How structured pruning ranks the units (neurons, channels, heads) of a layer.</summary>
public enum PruningCriterion
{
    /// <summary>The L1 norm of the unit's incoming weights (a neuron's row, a channel's filter, a head's projections).</summary>
    L1Norm,

    /// <summary>The L2 norm of the unit's incoming weights.</summary>
    L2Norm,

    /// <summary>
    /// The absolute scale (γ) of the batch normalization after the unit, as network slimming does; train with
    /// <see cref="PruningCatalog.WithNetworkSlimming"/> first so unimportant channels' scales shrink towards zero.
    /// Only for units followed by batch normalization.
    /// </summary>
    BatchNormScale,
}

/// <summary>
/// Structured pruning (<see cref="PruningCatalog.PruneUnits"/>): removes whole units — neurons of hidden fully connected
/// layers, output channels of convolutions, attention heads and feed-forward units of Transformer blocks — with their
/// weights and the weights that read them, so the network is physically smaller: fewer parameters and multiply-adds, a
/// smaller and faster ONNX graph. Fine-tune the result with <c>trainer.Fit(data, prunedNetwork)</c>.
/// </summary>
public sealed class StructuredPruningOptions : CompressionOptions
{
    /// <summary>The fraction of the units to remove, in [0, 1); every layer keeps at least one unit. Default 0.5.</summary>
    public double Fraction { get; set; } = 0.5;

    /// <summary>How units are ranked. Default <see cref="PruningCriterion.L1Norm"/>.</summary>
    public PruningCriterion Criterion { get; set; } = PruningCriterion.L1Norm;

    /// <summary>
    /// <see cref="PruningScope.PerLayer"/> removes <see cref="Fraction"/> of each layer's units; <see cref="PruningScope.Global"/>
    /// removes that fraction of all units, ranked together (by batch normalization scale as it is; by norms per weight —
    /// mean absolute value or root mean square — so layers of different fan-in compare), so layers lose different shares.
    /// Default <see cref="PruningScope.PerLayer"/>.
    /// </summary>
    public PruningScope Scope { get; set; } = PruningScope.PerLayer;

    /// <summary>
    /// The unit groups to narrow, by name: a layer number for a fully connected layer's neurons or a convolution's output
    /// channels (e.g. "2"), "{layer}.heads" and "{layer}.feedforward" for a Transformer block; null for every group that
    /// can be narrowed (all but the output layer; with <see cref="PruningCriterion.BatchNormScale"/>, every group followed by batch
    /// normalization). <see cref="NetworkReport"/> lists them. Default null.
    /// </summary>
    public IReadOnlyList<string>? Layers { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Fraction is >= 0 and < 1, nameof(Fraction), Fraction, "must be in [0, 1)");
        Require(Enum.IsDefined(Criterion), nameof(Criterion), Criterion, "must be L1Norm, L2Norm or BatchNormScale");
        Require(Enum.IsDefined(Scope), nameof(Scope), Scope, "must be Global or PerLayer");
        Require(Layers is null || Layers.Count > 0 && Layers.All(l => !string.IsNullOrWhiteSpace(l)), nameof(Layers),
            Layers is null ? null : $"[{string.Join(", ", Layers)}]", "must be null or list unit groups");
    }
}

/// <summary>Network slimming (Liu et al. 2017): an L1 penalty on batch normalization scales during training (<see cref="PruningCatalog.WithNetworkSlimming"/>).</summary>
public sealed class NetworkSlimmingOptions : CompressionOptions
{
    /// <summary>The penalty's weight λ in λ·Σ|γ| over every batch normalization scale, added to the loss of each batch. Default 1e-4.</summary>
    public double ScalePenalty { get; set; } = 1e-4;

    /// <inheritdoc />
    public override void Validate() =>
        Require(double.IsFinite(ScalePenalty) && ScalePenalty > 0, nameof(ScalePenalty), ScalePenalty, "must be a positive number");
}
