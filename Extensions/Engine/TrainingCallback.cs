using System.Text.Json.Nodes;
using MlNetDeep.Networks;
using TorchSharp;

namespace MlNetDeep;

/// <summary>
/// A hook into the training loop. Optional behaviour (schedules, clipping, early stopping, checkpoints, your own logging)
/// is a callback that keeps its own state; the loop itself never changes.
/// </summary>
public abstract class TrainingCallback
{
    /// <summary>The callback's name in checkpoints; two callbacks in one Fit need different names. Default: the type name.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>
    /// Before the first epoch: reset any state from an earlier Fit here, and add terms to <see cref="TrainingContext.Objective"/>.
    /// When Fit resumes from a checkpoint, <see cref="LoadState"/> follows.
    /// </summary>
    public virtual void OnTrainingBegin(TrainingContext context) { }

    /// <summary>Before each epoch.</summary>
    public virtual void OnEpochBegin(TrainingContext context) { }

    /// <summary>Before each batch's forward pass.</summary>
    public virtual void OnBatchBegin(TrainingContext context) { }

    /// <summary>
    /// Before each training batch's forward pass, with the batch's features; returns the features to train on (e.g.
    /// augmented). Never called for validation batches or scoring.
    /// </summary>
    public virtual torch.Tensor OnTrainingBatch(TrainingContext context, torch.Tensor features) => features;

    /// <summary>After the backward pass, before the optimizer step: gradients are available.</summary>
    public virtual void OnAfterBackward(TrainingContext context) { }

    /// <summary>
    /// Right after each optimizer step, before any callback's <see cref="OnBatchEnd"/>: the place to re-apply constraints on
    /// the weights (e.g. pruning masks), so that everything after the step sees constrained weights.
    /// </summary>
    public virtual void OnAfterStep(TrainingContext context) { }

    /// <summary>After each optimizer step, with the batch's loss.</summary>
    public virtual void OnBatchEnd(TrainingContext context, double loss) { }

    /// <summary>After the epoch's last training batch, before validation (called also when there is no validation data).</summary>
    public virtual void OnEpochTrainingEnd(TrainingContext context) { }

    /// <summary>After each epoch's validation, with the epoch's record (already in <see cref="TrainingContext.History"/>).</summary>
    public virtual void OnEpochEnd(TrainingContext context, EpochRecord record) { }

    /// <summary>After the last epoch, or after early stopping.</summary>
    public virtual void OnTrainingEnd(TrainingContext context) { }

    /// <summary>Writes the state needed to resume exactly into <paramref name="state"/>.</summary>
    public virtual void SaveState(CallbackState state) { }

    /// <summary>Restores the state written by <see cref="SaveState"/>.</summary>
    public virtual void LoadState(CallbackState state) { }
}

/// <summary>A callback's checkpointed state: JSON values and, when needed, named weight tensors.</summary>
public sealed class CallbackState
{
    internal CallbackState(JsonObject values, Dictionary<string, WeightTensor> weights)
    {
        Values = values;
        Weights = weights;
    }

    /// <summary>JSON values of the callback.</summary>
    public JsonObject Values { get; }

    internal Dictionary<string, WeightTensor> Weights { get; }
}

/// <summary>Raised when the training loss becomes NaN or infinite.</summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    internal TrainingDivergedException(string message) : base(message) { }
}
