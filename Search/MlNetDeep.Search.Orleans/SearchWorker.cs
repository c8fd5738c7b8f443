using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Orleans.Runtime;

namespace MlNetDeep.Search.Orleans;

/// <summary>How many trials a worker silo trains at once, and how it keeps in touch with the coordinator.</summary>
public sealed class SearchWorkerOptions
{
    /// <summary>The search plan this worker serves.</summary>
    public string PlanName { get; set; } = "";

    /// <summary>Trials trained at once on this silo (one per core budget; set the template's NumberOfThreads to match). Default 1.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>How often a running trial's lease is renewed. Default 1 s (keep it well below the plan's lease timeout).</summary>
    public TimeSpan HeartbeatPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a worker waits before asking again when no trial is free but the search is not finished. Default 0.5 s.</summary>
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// Runs on a worker silo: loads the plan's data once (by path), then pulls trials from the coordinator grain, trains
/// them with a callback that reports every epoch (the coordinator may stop the trial there), renews the lease while
/// training, saves each finished trial's model in the shared folder and reports completion or failure.
/// </summary>
internal sealed class SearchWorker(SearchPlans plans, SearchWorkerOptions options, IGrainFactory grains, ILocalSiloDetails silo,
    ILogger<SearchWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var plan = plans.Get(options.PlanName);
        var coordinator = grains.GetGrain<ISearchCoordinatorGrain>(plan.Name);
        var ml = new MLContext();
        (IDataView Train, IDataView? Validation) data;
        try
        {
            data = plan.LoadData(ml);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or FormatException)
        {
            var message = $"cannot load the data of search plan '{plan.Name}': {e.Message}";
            logger.LogError(e, "Search worker on {Silo} {Message}", silo.SiloAddress, message);
            await Retry(() => coordinator.ReportWorkerError(silo.SiloAddress.ToString(), message), stoppingToken);
            return;
        }
        var slots = Enumerable.Range(0, options.Slots)
            .Select(slot => Task.Factory.StartNew(() => Work(plan, coordinator, ml, data, $"{silo.SiloAddress}/{slot}", stoppingToken),
                stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap());
        await Task.WhenAll(slots);
    }

    private async Task Work(SearchPlan plan, ISearchCoordinatorGrain coordinator, MLContext ml, (IDataView Train, IDataView? Validation) data, string worker,
        CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var lease = await Retry(() => coordinator.RequestTrial(worker), stopping);
            if (lease is null)
            {
                if ((await Retry(coordinator.GetStatus, stopping)).IsFinished)
                    return;
                await Task.Delay(options.IdlePoll, stopping);
                continue;
            }
            await RunTrial(plan, coordinator, ml, data, lease, stopping);
        }
    }

    private async Task RunTrial(SearchPlan plan, ISearchCoordinatorGrain coordinator, MLContext ml, (IDataView Train, IDataView? Validation) data,
        TrialLease lease, CancellationToken stopping)
    {
        using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var heartbeat = Heartbeat(coordinator, lease, heartbeatStop.Token);
        var assignment = new TrialAssignment(lease.Number, lease.Attempt, lease.OptionsJson);
        try
        {
            using var model = plan.Definition.RunTrial(assignment, record =>
            {
                var verdict = Retry(() => coordinator.ReportEpoch(lease.Number, lease.Attempt, EpochReport.From(record)), stopping).GetAwaiter().GetResult();
                return (EpochVerdict)verdict;
            }, data.Train, data.Validation, stopping);
            if (model is null)
                return;
            var path = plan.ModelPath(lease.Number);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            ml.Model.Save(model, data.Train.Schema, path + ".tmp");
            File.Move(path + ".tmp", path, overwrite: true);
            await Retry(() => coordinator.Complete(lease.Number, lease.Attempt), stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo is shutting down: the coordinator re-queues the trial once its lease runs out.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Trial {Trial} failed", lease.Number);
            await Retry(() => coordinator.Fail(lease.Number, lease.Attempt, $"{e.GetType().Name}: {e.Message}"), stopping);
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
        }
    }

    private async Task Heartbeat(ISearchCoordinatorGrain coordinator, TrialLease lease, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.HeartbeatPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
                await Retry(() => coordinator.Heartbeat(lease.Number, lease.Attempt), stop);
        }
        catch (OperationCanceledException)
        {
            // The trial ended.
        }
    }

    /// <summary>Retries a grain call while the cluster recovers from a lost silo (the coordinator may be re-activating elsewhere).</summary>
    private async Task<T> Retry<T>(Func<Task<T>> call, CancellationToken stopping)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < 30 && !stopping.IsCancellationRequested && e is TimeoutException or OrleansException or SiloUnavailableException)
            {
                logger.LogInformation("Search coordinator unreachable ({Message}); retrying", e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(attempt, 10)), stopping);
            }
        }
    }

    private Task Retry(Func<Task> call, CancellationToken stopping) => Retry(async () =>
    {
        await call();
        return true;
    }, stopping);
}
