namespace MlNetDeep;

/// <summary>What one epoch did: the history entry and the progress report.</summary>
public sealed record EpochRecord
{
    /// <summary>The epoch number, from 1.</summary>
    public required int Epoch { get; init; }

    /// <summary>Mean training loss over the epoch (weighted by example and class weights).</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Loss on the validation data, when there is validation data.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>The task's metric on the validation data (<see cref="MetricName"/>, weighted by example weights), when there is validation data.</summary>
    public double? ValidationMetric { get; init; }

    /// <summary>The metric's name: "accuracy" for classification, "rmse" for regression.</summary>
    public required string MetricName { get; init; }

    /// <summary>The learning rate at the end of the epoch.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Wall-clock seconds of the epoch, validation included.</summary>
    public required double Seconds { get; init; }

    /// <summary>Seconds of the epoch spent producing batches (the data bridge's share).</summary>
    public required double DataSeconds { get; init; }

    /// <summary>The value of <paramref name="metric"/> in this record, or null when it was not measured.</summary>
    public double? Get(MonitoredMetric metric) => metric switch
    {
        MonitoredMetric.ValidationLoss => ValidationLoss,
        MonitoredMetric.ValidationMetric => ValidationMetric,
        _ => TrainLoss,
    };

    /// <inheritdoc />
    public override string ToString() =>
        $"epoch {Epoch}: train loss {TrainLoss:G5}" +
        (ValidationLoss is { } vl ? $", validation loss {vl:G5}, {MetricName} {ValidationMetric:G5}" : "") +
        $", lr {LearningRate:G3}, {Seconds:F2} s";
}

/// <summary>Which number of the epoch history a callback watches.</summary>
public enum MonitoredMetric
{
    /// <summary>The loss on the validation data (lower is better).</summary>
    ValidationLoss,

    /// <summary>The task's validation metric: accuracy for classification (higher is better), RMSE for regression (lower is better).</summary>
    ValidationMetric,

    /// <summary>The mean training loss of the epoch (lower is better); needs no validation data.</summary>
    TrainLoss,
}
