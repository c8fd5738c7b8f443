using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>The state of a running Fit that callbacks read and steer.</summary>
public sealed class TrainingContext
{
    private readonly List<EpochRecord> history = [];
    private readonly IReadOnlyList<double> learningRateMultipliers;

    internal TrainingContext(nn.Module network, optim.Optimizer optimizer, int numberOfEpochs, long stepsPerEpoch,
        double baseLearningRate, bool higherMetricIsBetter, bool hasValidation, CancellationToken cancellation, int seed = 0,
        IReadOnlyList<double>? learningRateMultipliers = null, string metricName = "accuracy")
    {
        this.learningRateMultipliers = learningRateMultipliers ?? optimizer.ParamGroups.Select(_ => 1.0).ToArray();
        Seed = seed;
        Network = network;
        Optimizer = optimizer;
        NumberOfEpochs = numberOfEpochs;
        StepsPerEpoch = stepsPerEpoch;
        BaseLearningRate = baseLearningRate;
        HigherMetricIsBetter = higherMetricIsBetter;
        HasValidation = hasValidation;
        CancellationToken = cancellation;
        MetricName = metricName;
    }

    /// <summary>The run's seed (from the options or the MLContext), for callbacks that need their own random numbers.</summary>
    public int Seed { get; }

    /// <summary>The network being trained.</summary>
    public nn.Module Network { get; }

    /// <summary>The optimizer.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>The current epoch number, from 1.</summary>
    public int Epoch { get; internal set; }

    /// <summary>The number of epochs Fit will run unless stopped.</summary>
    public int NumberOfEpochs { get; }

    /// <summary>Optimizer steps taken so far, over all epochs.</summary>
    public long Step { get; internal set; }

    /// <summary>Batches (optimizer steps) per training epoch: the batches of one pass over the training rows times <see cref="PassesPerEpoch"/>.</summary>
    public long StepsPerEpoch { get; }

    /// <summary>Passes over the training rows per epoch: more than 1 when one pass has fewer batches than <see cref="DeepTrainerOptions.MinimumStepsPerEpoch"/>.</summary>
    public int PassesPerEpoch { get; internal init; } = 1;

    /// <summary>The learning rate in the options, which schedules scale.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Whether a higher task metric is better (accuracy) or worse (RMSE).</summary>
    public bool HigherMetricIsBetter { get; }

    /// <summary>The task's validation metric: "accuracy" for classification, "rmse" for regression.</summary>
    public string MetricName { get; }

    /// <summary>What the optimizer minimizes; callbacks add terms to it in <see cref="TrainingCallback.OnTrainingBegin"/>.</summary>
    public TrainingObjective Objective { get; } = new();

    /// <summary>Whether each epoch is validated.</summary>
    public bool HasValidation { get; }

    /// <summary>Cancels Fit.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The per-epoch records so far.</summary>
    public IReadOnlyList<EpochRecord> History => history;

    /// <summary>Whether a callback asked to stop after the current epoch.</summary>
    public bool StopRequested => StopReason is not null;

    /// <summary>Why training stopped early, if it did.</summary>
    public string? StopReason { get; private set; }

    /// <summary>
    /// The learning rate; setting it sets every parameter group's rate to it times the group's multiplier (1 unless the
    /// architecture gives its layers discriminative learning rates).
    /// </summary>
    public double LearningRate
    {
        get => Optimizer.ParamGroups.First().LearningRate / learningRateMultipliers[0];
        set
        {
            var i = 0;
            foreach (var group in Optimizer.ParamGroups)
                group.LearningRate = value * learningRateMultipliers[i++];
        }
    }

    /// <summary>Asks the engine to stop after the current epoch.</summary>
    public void RequestStop(string reason) => StopReason ??= reason;

    /// <summary>Whether <paramref name="candidate"/> improves on <paramref name="best"/> by more than <paramref name="minDelta"/> for <paramref name="metric"/>.</summary>
    public bool Improves(MonitoredMetric metric, double candidate, double? best, double minDelta = 0)
    {
        if (best is null)
            return true;
        var higherIsBetter = metric == MonitoredMetric.ValidationMetric && HigherMetricIsBetter;
        return higherIsBetter ? candidate > best + minDelta : candidate < best - minDelta;
    }

    internal void Add(EpochRecord record) => history.Add(record);

    internal void Restore(IEnumerable<EpochRecord> records, long step)
    {
        history.Clear();
        history.AddRange(records);
        Epoch = history.Count;
        Step = step;
    }
}
