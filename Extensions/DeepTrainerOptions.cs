using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetDeep;

/// <summary>How a trainer feeds data to the network.</summary>
public enum DataLoadingMode
{
    /// <summary>Read the data once into tensors on the training device (fastest; needs the data to fit in memory).</summary>
    CacheAsTensors,

    /// <summary>Stream every epoch through IDataView cursors with a seeded shuffle buffer (for data that does not fit in memory).</summary>
    Streaming,
}

/// <summary>Optimizers the training engine offers.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with <see cref="DeepTrainerOptions.Momentum"/> and optional Nesterov momentum; weight decay is L2 added to the gradient.</summary>
    Sgd,

    /// <summary>Adam (β₁, β₂ from the options); weight decay is L2 added to the gradient.</summary>
    Adam,

    /// <summary>AdamW: Adam with decoupled weight decay.</summary>
    AdamW,
}

/// <summary>Stops training when the monitored number stops improving, and by default returns the best epoch's weights.</summary>
public sealed class EarlyStoppingOptions
{
    /// <summary>
    /// The number watched. Default: <see cref="MonitoredMetric.ValidationMetric"/> (accuracy, or RMSE for regression); an
    /// epoch that ties the best metric with a lower validation loss counts as an improvement.
    /// </summary>
    public MonitoredMetric Monitor { get; set; } = MonitoredMetric.ValidationMetric;

    /// <summary>Training stops after this many epochs in a row without improvement (0 counts as 1). Default 5.</summary>
    public int Patience { get; set; } = 5;

    /// <summary>The least change that counts as an improvement. Default 0.</summary>
    public double MinDelta { get; set; }

    /// <summary>Whether the fitted model gets the weights of the best epoch rather than the last. Default true.</summary>
    public bool RestoreBestWeights { get; set; } = true;
}

/// <summary>
/// The options every MlNetDeep trainer shares: columns, the optimization loop, regularization, validation, reproducibility
/// and checkpoints. Architectures add their own options in a derived class. Options are hyperparameters only — plain
/// data that round-trips through JSON (<see cref="ToJson"/>, <see cref="FromJson{TOptions}"/>) for a search to sample
/// or a registry to record; what a run reports to or is stopped by (progress, callbacks, cancellation) is given to the
/// trainer instead (<see cref="DeepTrainer.WithProgress"/>, <see cref="DeepTrainer.WithCallbacks"/>,
/// <see cref="DeepTrainer.WithCancellation"/>). Nothing in an options object changes during a Fit, so several Fits may share one.
/// </summary>
public class DeepTrainerOptions
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The label column. Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The feature column: a fixed-size Single or Double vector, or a scalar. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>An optional Single or Double column of non-negative example weights. Default none.</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>The score column the fitted model adds (class probabilities, the binary logit, or the regression value). Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>The predicted label column the fitted model adds (classification). Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>The probability column the fitted model adds (binary classification). Default "Probability".</summary>
    public string ProbabilityColumnName { get; set; } = "Probability";

    /// <summary>Passes over the training data at most. Default 50 (early stopping usually ends sooner).</summary>
    public int NumberOfEpochs { get; set; } = 50;

    /// <summary>Examples per mini-batch. Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// The least number of optimizer steps (batches) in an epoch. When one pass over the training rows takes fewer batches —
    /// a table of under 3,200 rows at the default batch size — each epoch makes as many passes as it takes to reach it, so that
    /// <see cref="NumberOfEpochs"/>, early-stopping and learning-rate patience and schedules mean about as much training on a
    /// small table as on a large one. 1 for one pass per epoch whatever the data's size. Default 50.
    /// </summary>
    public int MinimumStepsPerEpoch { get; set; } = 50;

    /// <summary>The optimizer. Default <see cref="OptimizerKind.Adam"/>.</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adam;

    /// <summary>The (initial) learning rate. Default 1e-3.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>SGD momentum in [0, 1). Default 0.9.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Whether SGD uses Nesterov momentum. Default false.</summary>
    public bool Nesterov { get; set; }

    /// <summary>Adam/AdamW β₁. Default 0.9.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam/AdamW β₂. Default 0.999 (PyTorch's default; TorchSharp's own default differs).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Weight decay: L2 regularization for SGD and Adam, decoupled decay for AdamW. Default 0.</summary>
    public double WeightDecay { get; set; }

    /// <summary>
    /// How the learning rate changes during training (<see cref="StepSchedule"/>, <see cref="CosineSchedule"/>,
    /// <see cref="OneCycleSchedule"/>, <see cref="ReduceOnPlateauSchedule"/>), or null for a constant rate.
    /// Default: halve it when the validation loss has not improved for 2 epochs.
    /// </summary>
    public LearningRateSchedule? LearningRateSchedule { get; set; } = new ReduceOnPlateauSchedule();

    /// <summary>Early stopping, or null to always train <see cref="NumberOfEpochs"/>. Default: patience 5 on the validation metric, best weights restored.</summary>
    public EarlyStoppingOptions? EarlyStopping { get; set; } = new();

    /// <summary>
    /// Decay of an exponential moving average of the weights, updated every step (e.g. 0.999), or null for none. The average
    /// is what validation, early stopping and the fitted model use; it usually generalizes a little better. Default null.
    /// </summary>
    public double? WeightAveragingDecay { get; set; }

    /// <summary>Clips the global gradient norm to this value, or null for no clipping. Default null.</summary>
    public double? GradientClipNorm { get; set; }

    /// <summary>Label smoothing for classification: the training loss aims at 1 − ε for the true class and spreads ε over all classes. Default 0.</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Per-class loss weights for classification, indexed by class (key index); null for equal weights. Default null.</summary>
    public IReadOnlyList<float>? ClassWeights { get; set; }

    /// <summary>Weights classes by inverse frequency in the training data (ignored when <see cref="ClassWeights"/> is set). Default false.</summary>
    public bool BalanceClasses { get; set; }

    /// <summary>Fraction of the training data held out for validation when no validation data is passed to Fit (stratified by class for classification); 0 for none. Default 0.1.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Random image transformations applied to training batches (image trainers only); null for none. Default null.</summary>
    public ImageAugmentation? Augmentation { get; set; }

    /// <summary>Whether the network standardizes its inputs with per-feature statistics of the training data (saved in the model). Default true.</summary>
    public bool NormalizeFeatures { get; set; } = true;

    /// <summary>How data reaches the network. Default <see cref="DataLoadingMode.CacheAsTensors"/>.</summary>
    public DataLoadingMode DataLoading { get; set; } = DataLoadingMode.CacheAsTensors;

    /// <summary>Rows in the shuffle buffer when <see cref="DataLoading"/> is <see cref="DataLoadingMode.Streaming"/>. Default 10000.</summary>
    public int ShuffleBufferSize { get; set; } = 10_000;

    /// <summary>Seed for weight initialization, shuffling, dropout and the validation split; null to take one from the MLContext (reproducible when the MLContext has a seed). Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>The training device. Default <see cref="TrainingDevice.Auto"/>.</summary>
    public TrainingDevice Device { get; set; } = TrainingDevice.Auto;

    /// <summary>Intra-op threads for TorchSharp (process-wide), or null for libtorch's default (one per core). Default null.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>A folder that receives a checkpoint (weights, optimizer, schedule and callback state, history) after every epoch. Default none.</summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>Whether Fit continues from the checkpoint in <see cref="CheckpointFolder"/> when there is one. Default false.</summary>
    public bool ResumeFromCheckpoint { get; set; }

    /// <summary>The options as JSON: every hyperparameter, with the options type's own properties, enums as names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), Json);

    /// <summary>Options of type <typeparamref name="TOptions"/> read from <see cref="ToJson"/>'s JSON, then validated.</summary>
    /// <exception cref="ArgumentException">The JSON is not options of that type.</exception>
    public static TOptions FromJson<TOptions>(string json) where TOptions : DeepTrainerOptions
    {
        var options = OptionsJson.Read<TOptions>(json, Json);
        options.Validate();
        return options;
    }

    /// <summary>Checks every option and throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    public virtual void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), LabelColumnName, "must name a column");
        Require(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), FeatureColumnName, "must name a column");
        Require(!string.IsNullOrWhiteSpace(ScoreColumnName), nameof(ScoreColumnName), ScoreColumnName, "must name a column");
        Require(!string.IsNullOrWhiteSpace(PredictedLabelColumnName), nameof(PredictedLabelColumnName), PredictedLabelColumnName, "must name a column");
        Require(!string.IsNullOrWhiteSpace(ProbabilityColumnName), nameof(ProbabilityColumnName), ProbabilityColumnName, "must name a column");
        Require(new[] { ScoreColumnName, PredictedLabelColumnName, ProbabilityColumnName }.Distinct().Count() == 3, nameof(ScoreColumnName), ScoreColumnName,
            "must differ from PredictedLabelColumnName and ProbabilityColumnName");
        Require(NumberOfEpochs >= 1, nameof(NumberOfEpochs), NumberOfEpochs, "must be at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Require(MinimumStepsPerEpoch >= 1, nameof(MinimumStepsPerEpoch), MinimumStepsPerEpoch, "must be at least 1");
        Require(double.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), LearningRate, "must be a positive number");
        Require(Momentum is >= 0 and < 1, nameof(Momentum), Momentum, "must be in [0, 1)");
        Require(!Nesterov || (Optimizer == OptimizerKind.Sgd && Momentum > 0), nameof(Nesterov), Nesterov, "needs the Sgd optimizer with a positive Momentum");
        Require(Beta1 is >= 0 and < 1, nameof(Beta1), Beta1, "must be in [0, 1)");
        Require(Beta2 is >= 0 and < 1, nameof(Beta2), Beta2, "must be in [0, 1)");
        Require(double.IsFinite(WeightDecay) && WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be 0 or more");
        Require(GradientClipNorm is null || (double.IsFinite(GradientClipNorm.Value) && GradientClipNorm > 0), nameof(GradientClipNorm), GradientClipNorm, "must be a positive number");
        Require(ClassWeights is null || ClassWeights.All(w => float.IsFinite(w) && w >= 0) && ClassWeights.Any(w => w > 0),
            nameof(ClassWeights), ClassWeights is null ? null : string.Join(", ", ClassWeights), "must be finite, not negative, and not all 0");
        Require(WeightAveragingDecay is null or (> 0 and < 1), nameof(WeightAveragingDecay), WeightAveragingDecay, "must be in (0, 1)");
        Require(LabelSmoothing is >= 0 and < 1, nameof(LabelSmoothing), LabelSmoothing, "must be in [0, 1)");
        Require(ValidationFraction is >= 0 and < 1, nameof(ValidationFraction), ValidationFraction, "must be in [0, 1)");
        Require(ShuffleBufferSize >= 1, nameof(ShuffleBufferSize), ShuffleBufferSize, "must be at least 1");
        Require(NumberOfThreads is null or >= 1, nameof(NumberOfThreads), NumberOfThreads, "must be at least 1");
        Require(Device is not null, nameof(Device), Device, "must be set");
        Require(!ResumeFromCheckpoint || !string.IsNullOrWhiteSpace(CheckpointFolder), nameof(ResumeFromCheckpoint), ResumeFromCheckpoint, "needs a CheckpointFolder");
        if (EarlyStopping is { } early)
        {
            Require(early.Patience >= 0, "EarlyStopping.Patience", early.Patience, "must be 0 or more");
            Require(double.IsFinite(early.MinDelta) && early.MinDelta >= 0, "EarlyStopping.MinDelta", early.MinDelta, "must be 0 or more");
        }
        LearningRateSchedule?.Validate();
        Augmentation?.Validate();
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="option"/> unless <paramref name="valid"/>.</summary>
    protected static void Require(bool valid, string option, object? value, string rule)
    {
        if (!valid)
            throw new ArgumentOutOfRangeException(option, value, $"Option {option} {rule} (got {value ?? "null"}).");
    }
}
