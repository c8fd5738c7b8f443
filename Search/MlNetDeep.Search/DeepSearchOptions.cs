namespace MlNetDeep.Search;

/// <summary>
/// How a search runs: the metric, the budget, the sampler and scheduler, parallelism, the seed and where the trial
/// table is kept. Validated once when the search starts; messages name the option.
/// </summary>
public sealed class DeepSearchOptions
{
    /// <summary>The metric to optimize. Default <see cref="SearchMetric.Accuracy"/> (<see cref="SearchMetric.Rmse"/> for regression catalogs).</summary>
    public SearchMetric? Metric { get; set; }

    /// <summary>The most trials to start (failed ones count). Default 20; null for no limit (then set another budget).</summary>
    public int? MaxTrials { get; set; } = 20;

    /// <summary>The most epochs over all trials together (epoch-equivalents of compute); null for no limit. Default null.</summary>
    public int? MaxEpochs { get; set; }

    /// <summary>The wall-clock budget: no trial starts after it, and running trials stop at their next epoch. Default null (none).</summary>
    public TimeSpan? MaxDuration { get; set; }

    /// <summary>Trials trained at the same time in this process. Default 1 (reproducible). Set the template's NumberOfThreads to share the cores.</summary>
    public int Parallelism { get; set; } = 1;

    /// <summary>Chooses each trial's parameters. Default <see cref="RandomSampler"/>.</summary>
    public SearchSampler Sampler { get; set; } = new RandomSampler();

    /// <summary>Stops unpromising trials early. Default <see cref="AshaScheduler"/> (first rung after 1 epoch, η = 3).</summary>
    public TrialScheduler Scheduler { get; set; } = new AshaScheduler();

    /// <summary>The search's seed: the sampler's draws and each trial's trainer seed derive from it. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// A folder for the trial table (<c>trials.json</c>) and the best model (<c>best-model.zip</c>), each written beside and
    /// then renamed over the old one; a search started on a folder that holds a table resumes it (finished trials are
    /// kept, trials that were running are run again). Null keeps everything in memory. Default null.
    /// </summary>
    public string? Folder { get; set; }

    internal SearchMetric ResolvedMetric(SearchMetric fallback) => Metric ?? fallback;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A budget is zero or negative, no budget is set, or Parallelism is below 1.</exception>
    public void Validate()
    {
        if (MaxTrials is <= 0)
            throw new ArgumentException($"DeepSearchOptions.MaxTrials must be positive (got {MaxTrials}): a budget of zero trials runs nothing.");
        if (MaxEpochs is <= 0)
            throw new ArgumentException($"DeepSearchOptions.MaxEpochs must be positive (got {MaxEpochs}): a budget of zero epochs runs nothing.");
        if (MaxDuration is { } duration && duration <= TimeSpan.Zero)
            throw new ArgumentException($"DeepSearchOptions.MaxDuration must be positive (got {duration}).");
        if (MaxTrials is null && MaxEpochs is null && MaxDuration is null)
            throw new ArgumentException("DeepSearchOptions: set at least one budget (MaxTrials, MaxEpochs or MaxDuration); otherwise the search never ends.");
        if (Parallelism < 1)
            throw new ArgumentException($"DeepSearchOptions.Parallelism must be at least 1 (got {Parallelism}).");
        ArgumentNullException.ThrowIfNull(Sampler, nameof(Sampler));
        ArgumentNullException.ThrowIfNull(Scheduler, nameof(Scheduler));
        Scheduler.Validate();
    }
}
