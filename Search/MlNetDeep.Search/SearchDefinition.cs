using Microsoft.ML;

namespace MlNetDeep.Search;

/// <summary>
/// What a search is, independent of where its trials run: the space over a trainer's options, how a trial's trainer is
/// made, the metric and the <see cref="DeepSearchOptions"/>. <see cref="DeepSearch{TOptions}"/> runs it in this process;
/// MlNetDeep.Search.Orleans runs the same definition over a cluster.
/// </summary>
public abstract class SearchDefinition
{
    private protected SearchDefinition(DeepSearchOptions options, SearchMetric defaultMetric)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Metric = options.ResolvedMetric(defaultMetric);
    }

    /// <summary>The file name of the best model in <see cref="DeepSearchOptions.Folder"/>.</summary>
    public const string BestModelFileName = "best-model.zip";

    /// <summary>The search's settings.</summary>
    public DeepSearchOptions Options { get; }

    /// <summary>The metric optimized.</summary>
    public SearchMetric Metric { get; }

    /// <summary>The parameters searched.</summary>
    public abstract SearchSpace Space { get; }

    /// <summary>The trainer for a trial's options JSON (as handed out in a <see cref="TrialAssignment"/>).</summary>
    public abstract DeepTrainer CreateTrainer(string optionsJson);

    internal abstract string OptionsJsonAt(SearchPoint point, int seed);

    internal abstract string DescribeSpace();

    /// <summary>Checks the space and the options.</summary>
    /// <exception cref="ArgumentException">Something is empty, contradictory or out of range; the message names it.</exception>
    public virtual void Validate() => Options.Validate();

    /// <summary>
    /// Trains one trial: the trainer from <paramref name="assignment"/>, a callback that reports every epoch to
    /// <paramref name="coordinator"/> and stops the Fit when told to, and <paramref name="cancellation"/>.
    /// </summary>
    /// <returns>The fitted model, or null when the trial was taken away (abandoned) mid-training.</returns>
    public DeepPredictionTransformer? RunTrial(TrialAssignment assignment, Func<EpochRecord, EpochVerdict> coordinator,
        IDataView train, IDataView? validation, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var reporter = new TrialReportingCallback(coordinator);
        var trainer = CreateTrainer(assignment.OptionsJson).WithCallbacks(reporter).WithCancellation(reporter.Token(cancellation));
        try
        {
            var model = validation is null ? trainer.Fit(train) : trainer.Fit(train, validation);
            if (!reporter.Abandoned)
                return model;
            model.Dispose();
            return null;
        }
        catch (OperationCanceledException) when (reporter.Abandoned && !cancellation.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            reporter.Dispose();
        }
    }
}

/// <summary>Reports each epoch of a trial to the search and stops or abandons the Fit from there.</summary>
internal sealed class TrialReportingCallback(Func<EpochRecord, EpochVerdict> coordinator) : TrainingCallback, IDisposable
{
    private readonly CancellationTokenSource abandon = new();
    private CancellationTokenSource? linked;

    public bool Abandoned => abandon.IsCancellationRequested;

    public CancellationToken Token(CancellationToken outer)
    {
        linked = CancellationTokenSource.CreateLinkedTokenSource(outer, abandon.Token);
        return linked.Token;
    }

    public override void OnEpochEnd(TrainingContext context, EpochRecord record)
    {
        switch (coordinator(record))
        {
            case EpochVerdict.Stop:
                context.RequestStop("stopped by the search's scheduler");
                break;
            case EpochVerdict.Abandon:
                abandon.Cancel();
                context.RequestStop("the trial was handed to another worker");
                break;
        }
    }

    public void Dispose()
    {
        linked?.Dispose();
        abandon.Dispose();
    }
}
