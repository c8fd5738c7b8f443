using MlNetDeep.Networks;

namespace MlNetDeep.Engine;

/// <summary>
/// Stops when the monitored number has not improved for <c>Patience</c> epochs; keeps the best epoch's weights to restore
/// at the end. A validation metric that only ties its best — common for accuracy on a small validation set — still counts
/// as an improvement when the validation loss is lower, so training does not stop while the model is still getting better.
/// </summary>
internal sealed class EarlyStopping(EarlyStoppingOptions options) : TrainingCallback
{
    private double? best;
    private double? bestLoss;
    private int bestEpoch;
    private int epochsWithoutImprovement;
    private Dictionary<string, WeightTensor>? bestWeights;

    public override void OnTrainingBegin(TrainingContext context)
    {
        if (!context.HasValidation && options.Monitor != MonitoredMetric.TrainLoss)
            throw new InvalidOperationException(
                $"EarlyStopping monitors {options.Monitor} but there is no validation data: pass validation data to Fit, set ValidationFraction above 0, " +
                "monitor TrainLoss, or set EarlyStopping to null.");
        best = null;
        bestLoss = null;
        bestEpoch = 0;
        epochsWithoutImprovement = 0;
        bestWeights = null;
    }

    public override void OnEpochEnd(TrainingContext context, EpochRecord record)
    {
        var value = record.Get(options.Monitor)!.Value;
        var tieWithLowerLoss = options.Monitor == MonitoredMetric.ValidationMetric && value == best && record.ValidationLoss < bestLoss;
        if (context.Improves(options.Monitor, value, best, options.MinDelta) || tieWithLowerLoss)
        {
            best = value;
            bestLoss = record.ValidationLoss;
            bestEpoch = record.Epoch;
            epochsWithoutImprovement = 0;
            if (options.RestoreBestWeights)
                bestWeights = WeightTensor.ReadAll(context.Network);
            return;
        }
        if (++epochsWithoutImprovement >= Math.Max(options.Patience, 1))
            context.RequestStop($"{options.Monitor} did not improve for {epochsWithoutImprovement} epochs (best {best:G5} at epoch {bestEpoch})");
    }

    public override void OnTrainingEnd(TrainingContext context)
    {
        if (bestWeights is not null && bestEpoch != context.Epoch)
            WeightTensor.LoadAll(context.Network, bestWeights);
    }

    public override void SaveState(CallbackState state)
    {
        state.Values["best"] = best;
        state.Values["bestLoss"] = bestLoss;
        state.Values["bestEpoch"] = bestEpoch;
        state.Values["epochsWithoutImprovement"] = epochsWithoutImprovement;
        if (bestWeights is not null)
            foreach (var (name, weight) in bestWeights)
                state.Weights[name] = weight;
    }

    public override void LoadState(CallbackState state)
    {
        best = state.Values["best"]?.GetValue<double>();
        bestLoss = state.Values["bestLoss"]?.GetValue<double>();
        bestEpoch = state.Values["bestEpoch"]!.GetValue<int>();
        epochsWithoutImprovement = state.Values["epochsWithoutImprovement"]!.GetValue<int>();
        bestWeights = state.Weights.Count > 0 ? new Dictionary<string, WeightTensor>(state.Weights) : null;
    }
}

/// <summary>Clips the global norm of all gradients before each optimizer step.</summary>
internal sealed class GradientClipping(double maxNorm) : TrainingCallback
{
    public override void OnAfterBackward(TrainingContext context) =>
        TorchSharp.torch.nn.utils.clip_grad_norm_(context.Network.parameters(), maxNorm);
}

/// <summary>Reports every epoch's record to an <see cref="IProgress{T}"/>.</summary>
internal sealed class ProgressReporter(IProgress<EpochRecord> progress) : TrainingCallback
{
    public override void OnEpochEnd(TrainingContext context, EpochRecord record) => progress.Report(record);
}
