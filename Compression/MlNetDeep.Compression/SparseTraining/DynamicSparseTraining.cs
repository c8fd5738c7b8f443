using MlNetDeep.Compression;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// The training callback behind <see cref="SparseTrainingCatalog.WithSparseTraining"/>: random sparse masks at the start
/// (densities per <see cref="SparseTrainingOptions.Distribution"/>), then every <see cref="SparseTrainingOptions.UpdateInterval"/>
/// steps a drop-and-grow update after the backward pass (SET: random regrowth; RigL: by the dense gradient, read before
/// the removed weights' gradients are masked). Removed weights and their gradients are zeroed after every step. Random
/// choices are seeded by the run's seed and the step, so a resumed run repeats them; the masks travel with checkpoints.
/// </summary>
public sealed class DynamicSparseTraining : TrainingCallback
{
    private readonly SparseTrainingOptions options;
    private WeightMasks? masks;
    private long endStep;
    private int seed;

    /// <summary>A sparse training callback with <paramref name="options"/> (validated here).</summary>
    public DynamicSparseTraining(SparseTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
    }

    /// <summary>The fraction of the sparse weights that are zero (0 before training).</summary>
    public double CurrentSparsity => masks?.Sparsity ?? 0;

    /// <summary>Connectivity updates made in the last Fit.</summary>
    public int Updates { get; private set; }

    /// <inheritdoc />
    public override void OnTrainingBegin(TrainingContext context)
    {
        masks?.Dispose();
        masks = new WeightMasks(PrunableWeights.Select(context.Network, options.Weights, nameof(SparseTrainingOptions.Weights)));
        seed = context.Seed;
        endStep = (long)(options.EndFraction * context.NumberOfEpochs * context.StepsPerEpoch);
        Updates = 0;
        var entries = masks.Entries.ToList();
        var densities = LayerDensities.Compute(entries.Select(e => e.Weight.shape).ToList(), options.Sparsity, options.Distribution);
        using var generator = Generator(step: -1);
        using var noGrad = no_grad();
        for (var i = 0; i < entries.Count; i++)
        {
            var mask = entries[i].Mask;
            var count = mask.numel();
            var kept = (long)Math.Round(densities[i] * count);
            using var scope = NewDisposeScope();
            var flat = zeros(count, device: mask.device);
            flat.index_fill_(0, randperm(count, generator: generator).narrow(0, 0, kept).to(mask.device), 1);
            mask.copy_(flat.view(mask.shape));
        }
        masks.ApplyToWeights();
    }

    /// <inheritdoc />
    public override void OnAfterBackward(TrainingContext context)
    {
        var step = context.Step;
        if (step > 0 && step % options.UpdateInterval == 0 && step < endStep)
            UpdateConnectivity(step);
        masks!.ApplyToGradients();
    }

    /// <inheritdoc />
    public override void OnAfterStep(TrainingContext context) => masks!.ApplyToWeights();

    /// <inheritdoc />
    public override void OnTrainingEnd(TrainingContext context) => masks!.ApplyToWeights();

    /// <inheritdoc />
    public override void SaveState(CallbackState state)
    {
        masks!.Save(state);
        state.Values["updates"] = Updates;
    }

    /// <inheritdoc />
    public override void LoadState(CallbackState state)
    {
        masks!.Load(state);
        Updates = state.Values["updates"]!.GetValue<int>();
    }

    /// <summary>Drops the smallest active weights of each layer and regrows as many inactive ones, starting at zero.</summary>
    private void UpdateConnectivity(long step)
    {
        var fraction = options.DropFraction / 2 * (1 + Math.Cos(Math.PI * step / endStep));
        using var generator = Generator(step);
        using var noGrad = no_grad();
        foreach (var (_, weight, mask) in masks!.Entries)
        {
            using var scope = NewDisposeScope();
            var active = mask.flatten().gt(0);
            var count = (int)Math.Floor(fraction * active.sum().item<long>());
            if (count == 0)
                continue;
            var flatMask = mask.view(-1);
            var magnitude = weight.detach().abs().flatten().masked_fill(active.logical_not(), float.PositiveInfinity);
            var dropped = magnitude.topk(count, largest: false, sorted: false).indexes;
            flatMask.index_fill_(0, dropped, 0);
            var candidates = flatMask.eq(0);
            var growScore = options.Method == SparseTrainingMethod.Rigl && weight.grad is { } gradient
                ? gradient.abs().flatten()
                : rand(flatMask.shape[0], generator: generator).to(flatMask.device);
            var grown = growScore.masked_fill(candidates.logical_not(), float.NegativeInfinity).topk(count, sorted: false).indexes;
            flatMask.index_fill_(0, grown, 1);
            weight.view(-1).index_fill_(0, grown, 0);
        }
        Updates++;
    }

    private Generator Generator(long step) => new Generator().manual_seed(unchecked(seed * 1_000_003L + step * 7919L + 17));
}
