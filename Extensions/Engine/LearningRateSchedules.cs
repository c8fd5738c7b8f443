using System.Text.Json.Serialization;

namespace MlNetDeep;

/// <summary>
/// How the learning rate changes during training. A schedule holds settings only — it is part of the hyperparameters
/// and serializes with the options — and every Fit gets a fresh <see cref="CreateScheduler">scheduler</see> that keeps
/// that run's state, so one options object can serve several Fits, even at the same time.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(StepSchedule), "step")]
[JsonDerivedType(typeof(CosineSchedule), "cosine")]
[JsonDerivedType(typeof(OneCycleSchedule), "one_cycle")]
[JsonDerivedType(typeof(ReduceOnPlateauSchedule), "reduce_on_plateau")]
public abstract class LearningRateSchedule
{
    /// <summary>The callback that sets the learning rate before every batch of one Fit; a new one, with fresh state, for each Fit.</summary>
    public abstract TrainingCallback CreateScheduler();

    /// <summary>Checks the schedule's settings; throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    public abstract void Validate();

    /// <summary>Progress through training in epochs, counting finished batches of the current epoch as fractions.</summary>
    protected static double EpochsDone(TrainingContext context) =>
        context.StepsPerEpoch == 0 ? context.Epoch - 1 : (double)context.Step / context.StepsPerEpoch;

    private protected static void Require(bool valid, string option, object value, string rule)
    {
        if (!valid)
            throw new ArgumentOutOfRangeException(option, value, $"Option {option} {rule} (got {value}).");
    }
}

/// <summary>Multiplies the learning rate by <see cref="Gamma"/> every <see cref="StepEpochs"/> epochs.</summary>
public sealed class StepSchedule : LearningRateSchedule
{
    /// <inheritdoc />
    public override TrainingCallback CreateScheduler() => new ScheduleRunner(LearningRateAt);

    /// <summary>Epochs between decays. Default 10.</summary>
    public int StepEpochs { get; set; } = 10;

    /// <summary>Decay factor. Default 0.1.</summary>
    public double Gamma { get; set; } = 0.1;

    /// <summary>The learning rate for the batch about to run.</summary>
    public double LearningRateAt(TrainingContext context) =>
        context.BaseLearningRate * Math.Pow(Gamma, (context.Epoch - 1) / StepEpochs);

    /// <inheritdoc />
    public override void Validate()
    {
        Require(StepEpochs >= 1, "StepSchedule.StepEpochs", StepEpochs, "must be at least 1");
        Require(Gamma is > 0 and <= 1, "StepSchedule.Gamma", Gamma, "must be in (0, 1]");
    }
}

/// <summary>Cosine annealing from the base learning rate to <see cref="MinimumLearningRate"/> over all epochs, per batch, after an optional linear warm-up.</summary>
public sealed class CosineSchedule : LearningRateSchedule
{
    /// <inheritdoc />
    public override TrainingCallback CreateScheduler() => new ScheduleRunner(LearningRateAt);

    /// <summary>The final learning rate. Default 0.</summary>
    public double MinimumLearningRate { get; set; }

    /// <summary>Epochs of linear warm-up from 0 to the base rate. Default 0.</summary>
    public double WarmupEpochs { get; set; }

    /// <summary>The learning rate for the batch about to run.</summary>
    public double LearningRateAt(TrainingContext context)
    {
        var done = EpochsDone(context);
        if (done < WarmupEpochs)
            return context.BaseLearningRate * (done + 1.0 / Math.Max(context.StepsPerEpoch, 1)) / WarmupEpochs;
        var progress = Math.Clamp((done - WarmupEpochs) / Math.Max(context.NumberOfEpochs - WarmupEpochs, 1e-12), 0, 1);
        return MinimumLearningRate + (context.BaseLearningRate - MinimumLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <inheritdoc />
    public override void Validate()
    {
        Require(double.IsFinite(MinimumLearningRate) && MinimumLearningRate >= 0, "CosineSchedule.MinimumLearningRate", MinimumLearningRate, "must be 0 or more");
        Require(double.IsFinite(WarmupEpochs) && WarmupEpochs >= 0, "CosineSchedule.WarmupEpochs", WarmupEpochs, "must be 0 or more");
    }
}

/// <summary>
/// The one-cycle policy (Smith), per batch: cosine warm-up from base/<see cref="DivFactor"/> to the base rate over
/// <see cref="WarmupFraction"/> of training, then cosine annealing to base/(<see cref="DivFactor"/>·<see cref="FinalDivFactor"/>).
/// The base learning rate is the peak.
/// </summary>
public sealed class OneCycleSchedule : LearningRateSchedule
{
    /// <inheritdoc />
    public override TrainingCallback CreateScheduler() => new ScheduleRunner(LearningRateAt);

    /// <summary>Fraction of all steps spent rising. Default 0.3.</summary>
    public double WarmupFraction { get; set; } = 0.3;

    /// <summary>Peak / initial learning rate. Default 25.</summary>
    public double DivFactor { get; set; } = 25;

    /// <summary>Initial / final learning rate. Default 1e4.</summary>
    public double FinalDivFactor { get; set; } = 1e4;

    /// <summary>The learning rate for the batch about to run.</summary>
    public double LearningRateAt(TrainingContext context)
    {
        var peak = context.BaseLearningRate;
        var initial = peak / DivFactor;
        var final = initial / FinalDivFactor;
        var totalSteps = Math.Max(context.StepsPerEpoch * context.NumberOfEpochs - 1, 1);
        var warmupSteps = Math.Max(WarmupFraction * totalSteps, 1e-12);
        var step = Math.Min(context.Step, totalSteps);
        return step <= warmupSteps
            ? Anneal(initial, peak, step / warmupSteps)
            : Anneal(peak, final, (step - warmupSteps) / Math.Max(totalSteps - warmupSteps, 1e-12));

        static double Anneal(double from, double to, double progress) => to + (from - to) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <inheritdoc />
    public override void Validate()
    {
        Require(WarmupFraction is > 0 and < 1, "OneCycleSchedule.WarmupFraction", WarmupFraction, "must be in (0, 1)");
        Require(double.IsFinite(DivFactor) && DivFactor >= 1, "OneCycleSchedule.DivFactor", DivFactor, "must be at least 1");
        Require(double.IsFinite(FinalDivFactor) && FinalDivFactor >= 1, "OneCycleSchedule.FinalDivFactor", FinalDivFactor, "must be at least 1");
    }
}

/// <summary>Multiplies the learning rate by <see cref="Factor"/> each time the monitored number has not improved for <see cref="Patience"/> epochs in a row.</summary>
public sealed class ReduceOnPlateauSchedule : LearningRateSchedule
{
    /// <summary>The number watched. Default <see cref="MonitoredMetric.ValidationLoss"/>.</summary>
    public MonitoredMetric Monitor { get; set; } = MonitoredMetric.ValidationLoss;

    /// <summary>Reduction factor. Default 0.5.</summary>
    public double Factor { get; set; } = 0.5;

    /// <summary>The rate is reduced after this many epochs in a row without improvement (0 counts as 1). Default 2.</summary>
    public int Patience { get; set; } = 2;

    /// <summary>The least change that counts as an improvement. Default 0.</summary>
    public double MinDelta { get; set; }

    /// <summary>The learning rate never goes below this. Default 0.</summary>
    public double MinimumLearningRate { get; set; }

    /// <inheritdoc />
    public override TrainingCallback CreateScheduler() => new PlateauScheduler(this);

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Factor is > 0 and < 1, "ReduceOnPlateauSchedule.Factor", Factor, "must be in (0, 1)");
        Require(Patience >= 0, "ReduceOnPlateauSchedule.Patience", Patience, "must be 0 or more");
        Require(double.IsFinite(MinDelta) && MinDelta >= 0, "ReduceOnPlateauSchedule.MinDelta", MinDelta, "must be 0 or more");
        Require(double.IsFinite(MinimumLearningRate) && MinimumLearningRate >= 0, "ReduceOnPlateauSchedule.MinimumLearningRate", MinimumLearningRate, "must be 0 or more");
    }

    /// <summary>One Fit's plateau state: the scale reached, the best value and the epochs since it.</summary>
    private sealed class PlateauScheduler(ReduceOnPlateauSchedule settings) : TrainingCallback
    {
        private double scale = 1;
        private double? best;
        private int epochsWithoutImprovement;

        public override string Name => ScheduleRunner.CallbackName;

        public override void OnBatchBegin(TrainingContext context) =>
            context.LearningRate = Math.Max(context.BaseLearningRate * scale, settings.MinimumLearningRate);

        public override void OnEpochEnd(TrainingContext context, EpochRecord record)
        {
            if (record.Get(settings.Monitor) is not { } value)
                return;
            if (context.Improves(settings.Monitor, value, best, settings.MinDelta))
            {
                best = value;
                epochsWithoutImprovement = 0;
            }
            else if (++epochsWithoutImprovement >= Math.Max(settings.Patience, 1))
            {
                scale *= settings.Factor;
                epochsWithoutImprovement = 0;
            }
        }

        public override void SaveState(CallbackState state)
        {
            state.Values["scale"] = scale;
            state.Values["best"] = best;
            state.Values["epochsWithoutImprovement"] = epochsWithoutImprovement;
        }

        public override void LoadState(CallbackState state)
        {
            scale = state.Values["scale"]!.GetValue<double>();
            best = state.Values["best"]?.GetValue<double>();
            epochsWithoutImprovement = state.Values["epochsWithoutImprovement"]!.GetValue<int>();
        }
    }
}

/// <summary>Sets the learning rate from a schedule that depends only on the run's progress (epoch and step).</summary>
internal sealed class ScheduleRunner(Func<TrainingContext, double> learningRateAt) : TrainingCallback
{
    public const string CallbackName = "LearningRateSchedule";

    public override string Name => CallbackName;

    public override void OnBatchBegin(TrainingContext context) => context.LearningRate = learningRateAt(context);
}
