using MlNetDeep.Compression;

namespace MlNetDeep;

/// <summary>
/// The training callback behind <see cref="PruningCatalog.WithPruning"/>: at scheduled steps it sets the masks to keep
/// the weights of largest magnitude (<see cref="PruningOptions"/>), zeroes the gradients of removed weights after every
/// backward pass and the removed weights after every optimizer step, and applies the masks once more when training ends
/// (after early stopping or weight averaging have put their weights back). The masks travel with checkpoints.
/// </summary>
public sealed class MagnitudePruning : TrainingCallback
{
    private readonly PruningOptions options;
    private WeightMasks? masks;
    private long startStep, endStep, stepsBetweenUpdates;

    /// <summary>A pruning callback with <paramref name="options"/> (validated here).</summary>
    public MagnitudePruning(PruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
    }

    /// <summary>The fraction of the pruned weights that are zero now (0 before training).</summary>
    public double CurrentSparsity => masks?.Sparsity ?? 0;

    /// <inheritdoc />
    public override void OnTrainingBegin(TrainingContext context)
    {
        var endEpoch = options.EndEpochFor(context.NumberOfEpochs);
        if (options.StartEpoch > context.NumberOfEpochs)
            throw new ArgumentOutOfRangeException(nameof(PruningOptions.StartEpoch), options.StartEpoch,
                $"Option StartEpoch ({options.StartEpoch}) is after the trainer's last epoch ({context.NumberOfEpochs}).");
        if (endEpoch > context.NumberOfEpochs)
            throw new ArgumentOutOfRangeException(nameof(PruningOptions.EndEpoch), endEpoch,
                $"Option EndEpoch ({endEpoch}) is after the trainer's last epoch ({context.NumberOfEpochs}): the sparsity would never reach {options.Sparsity}.");
        masks?.Dispose();
        masks = new WeightMasks(PrunableWeights.Select(context.Network, options.Weights, nameof(PruningOptions.Weights)));
        startStep = (options.StartEpoch - 1) * context.StepsPerEpoch;
        endStep = (endEpoch - 1) * context.StepsPerEpoch;
        stepsBetweenUpdates = Math.Max(1, context.StepsPerEpoch / options.UpdatesPerEpoch);
    }

    /// <inheritdoc />
    public override void OnBatchBegin(TrainingContext context)
    {
        var step = context.Step;
        if (step < startStep || step > endStep || ((step - startStep) % stepsBetweenUpdates != 0 && step != endStep))
            return;
        masks!.SetByMagnitude(options.SparsityAt(step, startStep, endStep), options.Scope);
        masks.ApplyToWeights();
    }

    /// <inheritdoc />
    public override void OnAfterBackward(TrainingContext context) => masks!.ApplyToGradients();

    /// <inheritdoc />
    public override void OnAfterStep(TrainingContext context) => masks!.ApplyToWeights();

    /// <inheritdoc />
    public override void OnTrainingEnd(TrainingContext context) => masks!.ApplyToWeights();

    /// <inheritdoc />
    public override void SaveState(CallbackState state) => masks!.Save(state);

    /// <inheritdoc />
    public override void LoadState(CallbackState state) => masks!.Load(state);
}
