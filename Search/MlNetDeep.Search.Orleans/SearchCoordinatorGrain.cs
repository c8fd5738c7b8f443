using Microsoft.Extensions.Logging;

namespace MlNetDeep.Search.Orleans;

/// <summary>
/// Owns one search's state: wraps a <see cref="SearchCoordinator"/> whose trial table lives in the plan's shared folder,
/// so the grain can be re-activated on any silo (after its silo died) and carry on. A timer re-queues trials whose
/// worker went silent for the plan's lease timeout.
/// </summary>
internal sealed class SearchCoordinatorGrain(SearchPlans plans, ILogger<SearchCoordinatorGrain> logger) : Grain, ISearchCoordinatorGrain
{
    private SearchCoordinator coordinator = null!;
    private readonly List<int> requeued = [];
    private readonly Dictionary<string, string> workerErrors = [];
    private int acceptedCompletions;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var plan = plans.Get(this.GetPrimaryKeyString());
        coordinator = new SearchCoordinator(plan.Definition, requeueRunningTrials: false);
        var period = TimeSpan.FromTicks(Math.Max(plan.LeaseTimeout.Ticks / 4, TimeSpan.FromMilliseconds(200).Ticks));
        this.RegisterGrainTimer(_ =>
        {
            foreach (var number in coordinator.RequeueSilent(plan.LeaseTimeout))
            {
                logger.LogWarning("Search {Plan}: trial {Trial} re-queued, its worker was silent for {Timeout}", plan.Name, number, plan.LeaseTimeout);
                requeued.Add(number);
            }
            return Task.CompletedTask;
        }, period, period);
        return Task.CompletedTask;
    }

    public Task<TrialLease?> RequestTrial(string worker)
    {
        var assignment = coordinator.Next(worker);
        return Task.FromResult(assignment is null ? null : new TrialLease { Number = assignment.Number, Attempt = assignment.Attempt, OptionsJson = assignment.OptionsJson });
    }

    public Task<TrialVerdict> ReportEpoch(int number, int attempt, EpochReport epoch)
    {
        try
        {
            return Task.FromResult((TrialVerdict)coordinator.ReportEpoch(number, attempt, epoch.ToRecord()));
        }
        catch (SearchConfigurationException e)
        {
            logger.LogError("Search aborted: {Reason}", e.Message);
            return Task.FromResult(TrialVerdict.Abandon);
        }
    }

    public Task<bool> Complete(int number, int attempt)
    {
        var accepted = coordinator.Trials.ElementAtOrDefault(number) is { State: TrialState.Running } trial && trial.Attempt == attempt;
        var best = coordinator.Complete(number, attempt);
        if (accepted && coordinator.Trials[number].IsFinished)
            acceptedCompletions++;
        return Task.FromResult(best);
    }

    public Task Fail(int number, int attempt, string message)
    {
        coordinator.Fail(number, attempt, message);
        return Task.CompletedTask;
    }

    public Task Heartbeat(int number, int attempt)
    {
        coordinator.Heartbeat(number, attempt);
        return Task.CompletedTask;
    }

    public Task ReportWorkerError(string worker, string message)
    {
        logger.LogError("Search worker {Worker}: {Message}", worker, message);
        workerErrors[worker] = message;
        return Task.CompletedTask;
    }

    public Task<ClusterSearchStatus> GetStatus()
    {
        var trials = coordinator.Trials;
        return Task.FromResult(new ClusterSearchStatus
        {
            IsFinished = coordinator.IsFinished,
            Trials = trials.Select(t => new TrialSummary
            {
                Number = t.Number, State = t.State.ToString(), Attempt = t.Attempt, Epochs = t.Epochs.Count, Score = t.Score, Worker = t.Worker,
                Error = t.Error, Seconds = t.Seconds, Parameters = string.Join(", ", t.Parameters.Select(p => $"{p.Key}={p.Value}")),
            }).ToArray(),
            BestTrial = coordinator.BestTrial?.Number,
            AcceptedCompletions = acceptedCompletions,
            Requeued = requeued.ToArray(),
            WorkerErrors = new Dictionary<string, string>(workerErrors),
            AbortReason = coordinator.AbortReason,
        });
    }
}
