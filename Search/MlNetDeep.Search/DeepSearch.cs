using System.Diagnostics;
using Microsoft.ML;

namespace MlNetDeep.Search;

/// <summary>Sees every finished trial: the seam for registering trials in a model registry with their lineage.</summary>
public interface ITrialObserver
{
    /// <summary>
    /// Called once per finished trial, on the worker thread that ran it, before the model is disposed (unless it is the
    /// best so far). <paramref name="model"/> is null for a failed trial; <paramref name="inputSchema"/> is the training
    /// data's schema, for <c>ml.Model.Save</c>.
    /// </summary>
    void OnTrialFinished(TrialRecord trial, ITransformer? model, DataViewSchema inputSchema);
}

/// <summary>Where a running search stands, reported after every epoch and every finished trial.</summary>
/// <param name="Trial">The trial that just reported (a snapshot).</param>
/// <param name="FinishedTrials">Trials finished so far.</param>
/// <param name="RunningTrials">Trials training now.</param>
/// <param name="BestScore">The best finished trial's score so far.</param>
/// <param name="Elapsed">Time since the search started.</param>
public sealed record SearchProgress(TrialRecord Trial, int FinishedTrials, int RunningTrials, double? BestScore, TimeSpan Elapsed)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"[{Elapsed:hh\\:mm\\:ss}] {Trial} | finished {FinishedTrials}, running {RunningTrials}, best {BestScore:G4}";
}

/// <summary>What a search found.</summary>
public sealed class DeepSearchResult
{
    internal DeepSearchResult(ITransformer? bestModel, TrialRecord? bestTrial, IReadOnlyList<TrialRecord> trials, SearchMetric metric, TimeSpan elapsed)
    {
        BestModel = bestModel;
        BestTrial = bestTrial;
        Trials = trials;
        Metric = metric;
        Elapsed = elapsed;
    }

    /// <summary>The best trial's fitted model (from the trial itself, or from <c>best-model.zip</c> after a resume), or null when no trial finished.</summary>
    public ITransformer? BestModel { get; }

    /// <summary>The best trial, or null when no trial finished.</summary>
    public TrialRecord? BestTrial { get; }

    /// <summary>The trial table: parameters, per-epoch metric, state and duration of every trial.</summary>
    public IReadOnlyList<TrialRecord> Trials { get; }

    /// <summary>The metric optimized.</summary>
    public SearchMetric Metric { get; }

    /// <summary>The search's wall-clock time in this process.</summary>
    public TimeSpan Elapsed { get; }
}

/// <summary>
/// A search over <typeparamref name="TOptions"/> run in this process with <see cref="DeepSearchOptions.Parallelism"/>
/// trials at a time. Create it from a catalog (<c>ml.MulticlassClassification.Search(space, options)</c>), attach
/// progress and observers, then <see cref="Run"/>.
/// </summary>
/// <typeparam name="TOptions">The trainer's options type.</typeparam>
public sealed class DeepSearch<TOptions> : SearchDefinition where TOptions : DeepTrainerOptions, new()
{
    private readonly OptionsSpace<TOptions> space;
    private readonly Func<TOptions, DeepTrainer> trainer;
    private readonly MLContext ml = new();
    private IProgress<SearchProgress>? progress;
    private readonly List<ITrialObserver> observers = [];

    /// <summary>A search over <paramref name="space"/> training each trial with <paramref name="trainer"/>.</summary>
    /// <param name="space">The options space.</param>
    /// <param name="trainer">Makes a trial's trainer from its options, e.g. <c>o => ml.MulticlassClassification.Trainers.FeedForward(o)</c>.</param>
    /// <param name="options">The search's settings.</param>
    /// <param name="defaultMetric">The metric when <see cref="DeepSearchOptions.Metric"/> is null.</param>
    public DeepSearch(OptionsSpace<TOptions> space, Func<TOptions, DeepTrainer> trainer, DeepSearchOptions options, SearchMetric defaultMetric)
        : base(options, defaultMetric)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(trainer);
        this.space = space;
        this.trainer = trainer;
    }

    /// <inheritdoc />
    public override SearchSpace Space => space.Space;

    /// <summary>Reports progress after every epoch and every finished trial.</summary>
    public DeepSearch<TOptions> WithProgress(IProgress<SearchProgress> searchProgress)
    {
        progress = searchProgress;
        return this;
    }

    /// <summary>Adds observers that see every finished trial (e.g. to register it in a model registry).</summary>
    public DeepSearch<TOptions> WithTrialObservers(params ITrialObserver[] trialObservers)
    {
        observers.AddRange(trialObservers);
        return this;
    }

    /// <inheritdoc />
    public override DeepTrainer CreateTrainer(string optionsJson) => trainer(DeepTrainerOptions.FromJson<TOptions>(optionsJson));

    internal override string OptionsJsonAt(SearchPoint point, int seed) => space.OptionsAt(point, seed).ToJson();

    internal override string DescribeSpace() => space.Describe();

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        space.Validate();
    }

    /// <summary>
    /// Runs the search on <paramref name="train"/>, scoring trials on <paramref name="validation"/> (or on the template's
    /// <see cref="DeepTrainerOptions.ValidationFraction"/> split when null), until the budget is spent.
    /// </summary>
    /// <exception cref="ArgumentException">The space or the options are invalid.</exception>
    /// <exception cref="SearchConfigurationException">The task does not produce the metric.</exception>
    public DeepSearchResult Run(IDataView train, IDataView? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        var clock = Stopwatch.StartNew();
        var coordinator = new SearchCoordinator(this);
        var best = new BestModelKeeper(ml, Options.Folder, train.Schema);
        var workers = Enumerable.Range(0, Options.Parallelism)
            .Select(i => Task.Factory.StartNew(() => Work($"worker-{i}", coordinator, best, train, validation, clock, cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        try
        {
            Task.WaitAll(workers, cancellationToken);
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<SearchConfigurationException>().FirstOrDefault() is { } configuration)
        {
            best.Dispose();
            throw configuration;
        }
        var bestTrial = coordinator.BestTrial;
        return new DeepSearchResult(best.ModelFor(bestTrial), bestTrial, coordinator.Trials, Metric, clock.Elapsed);
    }

    private void Work(string worker, SearchCoordinator coordinator, BestModelKeeper best, IDataView train, IDataView? validation, Stopwatch clock, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested && coordinator.Next(worker) is { } assignment)
        {
            DeepPredictionTransformer? model = null;
            try
            {
                model = RunTrial(assignment, record =>
                {
                    var verdict = coordinator.ReportEpoch(assignment.Number, assignment.Attempt, record);
                    Report(coordinator, assignment.Number, clock);
                    return verdict;
                }, train, validation, cancellation);
                if (model is null)
                    continue;
                var isBest = coordinator.Complete(assignment.Number, assignment.Attempt);
                Notify(coordinator, assignment.Number, model, train.Schema);
                if (isBest)
                    best.Keep(assignment.Number, model);
                else
                    model.Dispose();
                model = null;
            }
            catch (SearchConfigurationException)
            {
                model?.Dispose();
                throw;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                model?.Dispose();
                throw;
            }
            catch (Exception e)
            {
                model?.Dispose();
                coordinator.Fail(assignment.Number, assignment.Attempt, $"{e.GetType().Name}: {e.Message}");
                Notify(coordinator, assignment.Number, null, train.Schema);
            }
            Report(coordinator, assignment.Number, clock);
        }
    }

    private void Notify(SearchCoordinator coordinator, int number, ITransformer? model, DataViewSchema schema)
    {
        var trial = coordinator.Trials[number];
        foreach (var observer in observers)
            observer.OnTrialFinished(trial, model, schema);
    }

    private void Report(SearchCoordinator coordinator, int number, Stopwatch clock)
    {
        if (progress is null)
            return;
        var trials = coordinator.Trials;
        progress.Report(new SearchProgress(trials[number], trials.Count(t => t.IsFinished), trials.Count(t => !t.IsFinished),
            coordinator.BestTrial?.Score, clock.Elapsed));
    }
}

/// <summary>Holds the best trial's model in memory and, with a folder, as <c>best-model.zip</c> (written beside, then renamed).</summary>
internal sealed class BestModelKeeper(MLContext ml, string? folder, DataViewSchema schema) : IDisposable
{
    private readonly object gate = new();
    private (int Number, ITransformer Model)? best;

    public void Keep(int number, DeepPredictionTransformer model)
    {
        lock (gate)
        {
            if (folder is not null)
            {
                var path = Path.Combine(folder, SearchDefinition.BestModelFileName);
                var temporary = path + ".tmp";
                ml.Model.Save(model, schema, temporary);
                File.Move(temporary, path, overwrite: true);
            }
            (best?.Model as IDisposable)?.Dispose();
            best = (number, model);
        }
    }

    /// <summary>The model of <paramref name="trial"/>: in memory when it ran here, otherwise the saved best model of an earlier run.</summary>
    public ITransformer? ModelFor(TrialRecord? trial)
    {
        lock (gate)
        {
            if (trial is null)
                return null;
            if (best is { } kept && kept.Number == trial.Number)
                return kept.Model;
            var path = folder is null ? null : Path.Combine(folder, SearchDefinition.BestModelFileName);
            return path is not null && File.Exists(path) ? ml.Model.Load(path, out _) : null;
        }
    }

    public void Dispose()
    {
        lock (gate)
            (best?.Model as IDisposable)?.Dispose();
    }
}
