using System.Diagnostics;

namespace MlNetDeep.Search;

/// <summary>A trial handed to a worker: which trial, which attempt, and the options to train with.</summary>
/// <param name="Number">The trial's number.</param>
/// <param name="Attempt">The attempt; reports carrying an older attempt are refused.</param>
/// <param name="OptionsJson">The trainer options as JSON.</param>
public sealed record TrialAssignment(int Number, int Attempt, string OptionsJson);

/// <summary>What a worker does after reporting an epoch.</summary>
public enum EpochVerdict
{
    /// <summary>Train the next epoch.</summary>
    Continue,

    /// <summary>Stop after this epoch; the trial counts as stopped early and its model is kept.</summary>
    Stop,

    /// <summary>The trial was taken away (its lease expired and it was handed out again): stop and report nothing more.</summary>
    Abandon,
}

/// <summary>
/// The search state every runner shares, in-process or inside an Orleans grain: the trial table, sampling, scheduling
/// and the budget. Thread-safe; persists the table after every change when it has a folder.
/// </summary>
public sealed class SearchCoordinator
{
    private readonly object gate = new();
    private readonly SearchDefinition definition;
    private readonly List<TrialRecord> trials;
    private readonly Queue<int> requeued = new();
    private readonly Dictionary<int, DateTime> lastSeen = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly string description;
    private readonly SearchMetric metric;

    /// <summary>A coordinator for <paramref name="definition"/>; resumes the trial table in the options' folder when there is one.</summary>
    /// <param name="definition">The search.</param>
    /// <param name="requeueRunningTrials">
    /// Whether trials the table shows running are handed out again at once (true: the process that ran them is gone), or
    /// only once their workers stay silent for a lease timeout (false: a coordinator moved to another machine while the
    /// workers live on).
    /// </param>
    public SearchCoordinator(SearchDefinition definition, bool requeueRunningTrials = true)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.Validate();
        this.definition = definition;
        metric = definition.Metric;
        var options = definition.Options;
        description = $"{definition.DescribeSpace()} | sampler {options.Sampler.Name} | scheduler {options.Scheduler.Describe()} | seed {options.Seed}";
        trials = options.Folder is null ? [] : TrialTable.Load(options.Folder, description, metric.Name, definition.Space);
        foreach (var trial in trials.Where(t => t.State == TrialState.Running).OrderBy(t => t.Number))
        {
            if (requeueRunningTrials)
                requeued.Enqueue(trial.Number);
            else
                lastSeen[trial.Number] = DateTime.UtcNow;
        }
    }

    /// <summary>The error that aborted the search (a configuration the task cannot satisfy), or null.</summary>
    public string? AbortReason { get; private set; }

    /// <summary>The metric being optimized.</summary>
    public SearchMetric Metric => metric;

    /// <summary>A copy of the trial table.</summary>
    public IReadOnlyList<TrialRecord> Trials
    {
        get
        {
            lock (gate)
                return trials.ToArray();
        }
    }

    /// <summary>Whether nothing is running and nothing more will start.</summary>
    public bool IsFinished
    {
        get
        {
            lock (gate)
                return AbortReason is not null || (requeued.Count == 0 && !trials.Any(t => t.State == TrialState.Running) && !CanStartNew());
        }
    }

    /// <summary>The best finished trial (completed or stopped early), or null.</summary>
    public TrialRecord? BestTrial
    {
        get
        {
            lock (gate)
                return Best();
        }
    }

    /// <summary>The next trial for <paramref name="worker"/>: a re-queued one first, then a new sample; null when the budget allows no more.</summary>
    public TrialAssignment? Next(string worker)
    {
        lock (gate)
        {
            if (AbortReason is not null)
                return null;
            if (requeued.TryDequeue(out var number))
            {
                var trial = trials[number];
                trial.Attempt++;
                trial.Epochs.Clear();
                trial.Score = null;
                return Start(trial, worker);
            }
            while (CanStartNew())
            {
                var trialNumber = trials.Count;
                var finished = trials.Where(t => t.State is TrialState.Completed or TrialState.Stopped).ToArray();
                var unit = definition.Options.Sampler.Next(definition.Space, definition.Options.Seed, trialNumber, finished, metric.Maximize);
                var point = definition.Space.PointAt(unit);
                var seed = unchecked(definition.Options.Seed * 7919 + trialNumber + 1);
                string json;
                try
                {
                    json = definition.OptionsJsonAt(point, seed);
                }
                catch (ArgumentException e)
                {
                    trials.Add(new TrialRecord
                    {
                        Number = trialNumber, Seed = seed, Parameters = point.Values, Unit = unit, OptionsJson = "", MaxEpochs = 0,
                        State = TrialState.Failed, Error = $"The sampled options are not valid: {e.Message}", StartedUtc = DateTime.UtcNow,
                    });
                    Save();
                    continue;
                }
                var trial = new TrialRecord
                {
                    Number = trialNumber, Seed = seed, Parameters = point.Values, Unit = unit, OptionsJson = json,
                    MaxEpochs = System.Text.Json.Nodes.JsonNode.Parse(json)![nameof(DeepTrainerOptions.NumberOfEpochs)]!.GetValue<int>(),
                };
                trials.Add(trial);
                return Start(trial, worker);
            }
            return null;
        }
    }

    /// <summary>Records an epoch of a running trial and says whether it goes on.</summary>
    /// <exception cref="SearchConfigurationException">The epoch lacks the searched metric; the search is aborted.</exception>
    public EpochVerdict ReportEpoch(int number, int attempt, EpochRecord record)
    {
        lock (gate)
        {
            if (!IsCurrent(number, attempt))
                return EpochVerdict.Abandon;
            double value;
            try
            {
                value = metric.Read(record);
            }
            catch (SearchConfigurationException e)
            {
                AbortReason = e.Message;
                throw;
            }
            var trial = trials[number];
            lastSeen[number] = DateTime.UtcNow;
            trial.Epochs.Add(new TrialEpoch
            {
                Epoch = trial.Epochs.Count + 1, Value = value, TrainLoss = record.TrainLoss, ValidationLoss = record.ValidationLoss, Seconds = record.Seconds,
            });
            if (metric.Better(value, trial.Score))
                trial.Score = value;
            var options = definition.Options;
            if (trial.Epochs.Count >= trial.MaxEpochs)
            {
                Save();
                return EpochVerdict.Continue;
            }
            trial.StopReason = options.Scheduler.ShouldStop(trial, trials, metric.Maximize)
                ?? (options.MaxEpochs is { } maxEpochs && EpochsUsed() >= maxEpochs ? $"the search's budget of {maxEpochs} epochs is spent" : null)
                ?? (options.MaxDuration is { } maxDuration && clock.Elapsed >= maxDuration ? $"the search's wall-time budget of {maxDuration} is spent" : null);
            Save();
            return trial.StopReason is null ? EpochVerdict.Continue : EpochVerdict.Stop;
        }
    }

    /// <summary>Marks a trial finished with its model; returns whether it is now the best trial. False also when the attempt was taken away.</summary>
    public bool Complete(int number, int attempt)
    {
        lock (gate)
        {
            if (!IsCurrent(number, attempt))
                return false;
            var trial = trials[number];
            trial.State = trial.StopReason is null ? TrialState.Completed : TrialState.Stopped;
            trial.Seconds = (DateTime.UtcNow - trial.StartedUtc).TotalSeconds;
            lastSeen.Remove(number);
            Save();
            return ReferenceEquals(Best(), trial);
        }
    }

    /// <summary>Marks a trial failed with <paramref name="message"/>; the search goes on.</summary>
    public void Fail(int number, int attempt, string message)
    {
        lock (gate)
        {
            if (!IsCurrent(number, attempt))
                return;
            var trial = trials[number];
            trial.State = TrialState.Failed;
            trial.Error = message;
            trial.Seconds = (DateTime.UtcNow - trial.StartedUtc).TotalSeconds;
            lastSeen.Remove(number);
            Save();
        }
    }

    /// <summary>Notes that the worker running the trial is alive.</summary>
    public void Heartbeat(int number, int attempt)
    {
        lock (gate)
        {
            if (IsCurrent(number, attempt))
                lastSeen[number] = DateTime.UtcNow;
        }
    }

    /// <summary>Re-queues running trials whose worker has not been heard of for <paramref name="timeout"/>; returns their numbers.</summary>
    public IReadOnlyList<int> RequeueSilent(TimeSpan timeout)
    {
        lock (gate)
        {
            var now = DateTime.UtcNow;
            var silent = trials.Where(t => t.State == TrialState.Running && !requeued.Contains(t.Number)
                && now - lastSeen.GetValueOrDefault(t.Number, now) > timeout).Select(t => t.Number).ToArray();
            foreach (var number in silent)
            {
                trials[number].Worker = null;
                lastSeen.Remove(number);
                requeued.Enqueue(number);
            }
            if (silent.Length > 0)
                Save();
            return silent;
        }
    }

    /// <summary>Stops the search: no trial starts any more.</summary>
    public void Abort(string reason)
    {
        lock (gate)
            AbortReason ??= reason;
    }

    private TrialAssignment Start(TrialRecord trial, string worker)
    {
        trial.State = TrialState.Running;
        trial.StopReason = null;
        trial.Worker = worker;
        trial.StartedUtc = DateTime.UtcNow;
        lastSeen[trial.Number] = trial.StartedUtc;
        Save();
        return new TrialAssignment(trial.Number, trial.Attempt, trial.OptionsJson);
    }

    private bool IsCurrent(int number, int attempt) =>
        number >= 0 && number < trials.Count && trials[number] is { State: TrialState.Running } trial && trial.Attempt == attempt
        && trial.Worker is not null && !requeued.Contains(number);

    private bool CanStartNew()
    {
        var options = definition.Options;
        return (options.MaxTrials is not { } maxTrials || trials.Count < maxTrials)
            && (options.MaxEpochs is not { } maxEpochs || EpochsUsed() < maxEpochs)
            && (options.MaxDuration is not { } maxDuration || clock.Elapsed < maxDuration);
    }

    private int EpochsUsed() => trials.Sum(t => t.Epochs.Count);

    private TrialRecord? Best()
    {
        TrialRecord? best = null;
        foreach (var trial in trials.Where(t => t.State is TrialState.Completed or TrialState.Stopped && t.Score is not null))
        {
            if (metric.Better(trial.Score!.Value, best?.Score))
                best = trial;
        }
        return best;
    }

    private void Save()
    {
        if (definition.Options.Folder is { } folder)
            TrialTable.Save(folder, description, metric.Name, trials);
    }
}
