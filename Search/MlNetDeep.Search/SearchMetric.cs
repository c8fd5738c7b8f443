namespace MlNetDeep.Search;

/// <summary>The number a search optimizes, read from each epoch's <see cref="EpochRecord"/>.</summary>
public sealed class SearchMetric
{
    private SearchMetric(string name, bool maximize, MonitoredMetric source, string? taskMetricName)
    {
        Name = name;
        Maximize = maximize;
        Source = source;
        TaskMetricName = taskMetricName;
    }

    /// <summary>Validation accuracy (classification; higher is better).</summary>
    public static SearchMetric Accuracy { get; } = new("accuracy", true, MonitoredMetric.ValidationMetric, "accuracy");

    /// <summary>Validation root mean squared error (regression; lower is better).</summary>
    public static SearchMetric Rmse { get; } = new("rmse", false, MonitoredMetric.ValidationMetric, "rmse");

    /// <summary>Validation loss (any task; lower is better).</summary>
    public static SearchMetric ValidationLoss { get; } = new("validation-loss", false, MonitoredMetric.ValidationLoss, null);

    /// <summary>The metric's name in the trial table.</summary>
    public string Name { get; }

    /// <summary>Whether a higher value is better.</summary>
    public bool Maximize { get; }

    internal MonitoredMetric Source { get; }

    internal string? TaskMetricName { get; }

    /// <summary>The metric by name ("accuracy", "rmse", "validation-loss").</summary>
    /// <exception cref="ArgumentException">No metric has that name.</exception>
    public static SearchMetric FromName(string name) => name switch
    {
        "accuracy" => Accuracy,
        "rmse" => Rmse,
        "validation-loss" => ValidationLoss,
        _ => throw new ArgumentException($"Unknown search metric '{name}': use accuracy, rmse or validation-loss.", nameof(name)),
    };

    /// <summary>The metric's value in <paramref name="record"/>.</summary>
    /// <exception cref="SearchConfigurationException">The task does not produce this metric, or there is no validation data.</exception>
    internal double Read(EpochRecord record)
    {
        if (TaskMetricName is not null && record.MetricName != TaskMetricName)
            throw new SearchConfigurationException(
                $"The search metric is {Name}, but the trainer's task reports {record.MetricName}: choose SearchMetric.{(record.MetricName == "rmse" ? "Rmse" : "Accuracy")} or ValidationLoss.");
        return record.Get(Source) ?? throw new SearchConfigurationException(
            $"The search metric {Name} needs validation data: pass validation data to the search or set ValidationFraction > 0 in the template options.");
    }

    /// <summary>Whether <paramref name="candidate"/> is better than <paramref name="best"/>.</summary>
    internal bool Better(double candidate, double? best) => best is null || (Maximize ? candidate > best : candidate < best);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A search that cannot run as configured (e.g. a metric its task does not produce); it stops the whole search, not one trial.</summary>
public sealed class SearchConfigurationException : InvalidOperationException
{
    /// <summary>The exception with <paramref name="message"/>.</summary>
    public SearchConfigurationException(string message) : base(message) { }
}
