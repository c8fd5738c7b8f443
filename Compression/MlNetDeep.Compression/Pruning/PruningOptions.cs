namespace MlNetDeep;

/// <summary>How weights compete when pruning ranks them by magnitude.</summary>
public enum PruningScope
{
    /// <summary>All pruned weights ranked together: layers end with different sparsities (as <c>torch.nn.utils.prune.global_unstructured</c>).</summary>
    Global,

    /// <summary>Each weight tensor pruned to the same sparsity on its own.</summary>
    PerLayer,
}

/// <summary>
/// Unstructured magnitude pruning during training (<see cref="PruningCatalog.WithPruning"/>): the weights of smallest
/// magnitude are set to zero and kept at zero (their masks are re-applied after every optimizer step and their gradients
/// masked), while sparsity grows on Zhu and Gupta's polynomial schedule
/// s(t) = s_f + (s_i − s_f)(1 − (t − t₀)/(t₁ − t₀))^<see cref="Exponent"/>, from <see cref="InitialSparsity"/> at the start of
/// <see cref="StartEpoch"/> to <see cref="Sparsity"/> at the start of <see cref="EndEpoch"/>; the epochs after that train at
/// the final sparsity. <see cref="StartEpoch"/> = <see cref="EndEpoch"/> prunes once: with
/// <c>trainer.WithPruning(options).Fit(data, trainedNetwork)</c> that is one-shot pruning of a trained network followed by
/// fine-tuning with the masks kept. The saved model stores the pruned weights compactly, so model.zip shrinks with sparsity.
/// </summary>
public sealed class PruningOptions : CompressionOptions
{
    /// <summary>The final fraction of the pruned weights that are zero, in [0, 1). Default 0.9.</summary>
    public double Sparsity { get; set; } = 0.9;

    /// <summary>The sparsity of the first pruning step, in [0, <see cref="Sparsity"/>]. Default 0.</summary>
    public double InitialSparsity { get; set; }

    /// <summary>The epoch at whose start pruning begins (from 1). Default 1.</summary>
    public int StartEpoch { get; set; } = 1;

    /// <summary>
    /// The epoch at whose start <see cref="Sparsity"/> is reached (at least <see cref="StartEpoch"/>, at most the trainer's
    /// NumberOfEpochs); null for three quarters of the trainer's epochs (rounded, at least <see cref="StartEpoch"/>). Default null.
    /// </summary>
    public int? EndEpoch { get; set; }

    /// <summary>Mask updates per epoch while sparsity grows (evenly spaced in steps). Default 4.</summary>
    public int UpdatesPerEpoch { get; set; } = 4;

    /// <summary>The exponent of the schedule: 3 (Zhu and Gupta's) prunes fast early and slowly near the end; 1 is linear. Default 3.</summary>
    public double Exponent { get; set; } = 3;

    /// <summary>Whether all weights are ranked together or each weight tensor is pruned to the same sparsity. Default <see cref="PruningScope.Global"/>.</summary>
    public PruningScope Scope { get; set; } = PruningScope.Global;

    /// <summary>
    /// The weights to prune, by name (e.g. "1.weight", "4.conv1.weight"; <see cref="NetworkReport"/> lists them); null for
    /// every weight matrix and convolution kernel (biases and normalization are never pruned). Default null.
    /// </summary>
    public IReadOnlyList<string>? Weights { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Sparsity is >= 0 and < 1, nameof(Sparsity), Sparsity, "must be in [0, 1)");
        Require(InitialSparsity >= 0 && InitialSparsity <= Sparsity, nameof(InitialSparsity), InitialSparsity, "must be in [0, Sparsity]");
        Require(StartEpoch >= 1, nameof(StartEpoch), StartEpoch, "must be at least 1");
        Require(EndEpoch is null || EndEpoch >= StartEpoch, nameof(EndEpoch), EndEpoch, "must be at least StartEpoch");
        Require(UpdatesPerEpoch >= 1, nameof(UpdatesPerEpoch), UpdatesPerEpoch, "must be at least 1");
        Require(double.IsFinite(Exponent) && Exponent > 0, nameof(Exponent), Exponent, "must be a positive number");
        Require(Weights is null || Weights.Count > 0 && Weights.All(w => !string.IsNullOrWhiteSpace(w)), nameof(Weights),
            Weights is null ? null : $"[{string.Join(", ", Weights)}]", "must be null or list weight names");
    }

    /// <summary>The epoch at whose start the final sparsity is reached, for a Fit of <paramref name="numberOfEpochs"/> epochs.</summary>
    internal int EndEpochFor(int numberOfEpochs) => EndEpoch ?? Math.Max(StartEpoch, (int)Math.Round(0.75 * numberOfEpochs));

    /// <summary>The scheduled sparsity after <paramref name="step"/> optimizer steps, with the schedule spanning [startStep, endStep].</summary>
    internal double SparsityAt(long step, long startStep, long endStep)
    {
        if (step >= endStep)
            return Sparsity;
        var remaining = 1 - (double)(step - startStep) / (endStep - startStep);
        return Sparsity + (InitialSparsity - Sparsity) * Math.Pow(remaining, Exponent);
    }
}
