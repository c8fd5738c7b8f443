namespace MlNetDeep.Search.Orleans;

/// <summary>A trial handed to a worker silo.</summary>
[GenerateSerializer, Immutable, Alias("MlNetDeep.Search.TrialLease")]
public sealed class TrialLease
{
    /// <summary>The trial's number.</summary>
    [Id(0)] public int Number { get; init; }

    /// <summary>The attempt; reports with an older attempt are refused.</summary>
    [Id(1)] public int Attempt { get; init; }

    /// <summary>The trainer options as JSON.</summary>
    [Id(2)] public string OptionsJson { get; init; } = "";
}

/// <summary>What a worker does after reporting an epoch.</summary>
[GenerateSerializer, Alias("MlNetDeep.Search.TrialVerdict")]
public enum TrialVerdict
{
    /// <summary>Train the next epoch.</summary>
    Continue,

    /// <summary>Stop after this epoch (the scheduler or the budget said so).</summary>
    Stop,

    /// <summary>The trial was given to another worker: stop and report nothing more.</summary>
    Abandon,
}

/// <summary>One epoch's numbers, as a worker reports them.</summary>
[GenerateSerializer, Immutable, Alias("MlNetDeep.Search.EpochReport")]
public sealed class EpochReport
{
    /// <summary>The epoch, from 1.</summary>
    [Id(0)] public int Epoch { get; init; }

    /// <summary>The training loss.</summary>
    [Id(1)] public double TrainLoss { get; init; }

    /// <summary>The validation loss.</summary>
    [Id(2)] public double? ValidationLoss { get; init; }

    /// <summary>The task metric on the validation data.</summary>
    [Id(3)] public double? ValidationMetric { get; init; }

    /// <summary>The task metric's name.</summary>
    [Id(4)] public string MetricName { get; init; } = "";

    /// <summary>The learning rate.</summary>
    [Id(5)] public double LearningRate { get; init; }

    /// <summary>Seconds of the epoch.</summary>
    [Id(6)] public double Seconds { get; init; }

    internal static EpochReport From(EpochRecord record) => new()
    {
        Epoch = record.Epoch, TrainLoss = record.TrainLoss, ValidationLoss = record.ValidationLoss, ValidationMetric = record.ValidationMetric,
        MetricName = record.MetricName, LearningRate = record.LearningRate, Seconds = record.Seconds,
    };

    internal EpochRecord ToRecord() => new()
    {
        Epoch = Epoch, TrainLoss = TrainLoss, ValidationLoss = ValidationLoss, ValidationMetric = ValidationMetric, MetricName = MetricName,
        LearningRate = LearningRate, Seconds = Seconds, DataSeconds = 0,
    };
}

/// <summary>One trial as the cluster's status shows it.</summary>
[GenerateSerializer, Immutable, Alias("MlNetDeep.Search.TrialSummary")]
public sealed class TrialSummary
{
    /// <summary>The trial's number.</summary>
    [Id(0)] public int Number { get; init; }

    /// <summary>The state (Running, Completed, Stopped, Failed).</summary>
    [Id(1)] public string State { get; init; } = "";

    /// <summary>Times the trial was handed out.</summary>
    [Id(2)] public int Attempt { get; init; }

    /// <summary>Epochs trained in the current attempt.</summary>
    [Id(3)] public int Epochs { get; init; }

    /// <summary>The best value of the metric.</summary>
    [Id(4)] public double? Score { get; init; }

    /// <summary>The worker that runs or ran it.</summary>
    [Id(5)] public string? Worker { get; init; }

    /// <summary>The error of a failed trial.</summary>
    [Id(6)] public string? Error { get; init; }

    /// <summary>Seconds the finished attempt took.</summary>
    [Id(7)] public double Seconds { get; init; }

    /// <summary>The trial's parameters, as text.</summary>
    [Id(8)] public string Parameters { get; init; } = "";
}

/// <summary>A cluster search's state.</summary>
[GenerateSerializer, Immutable, Alias("MlNetDeep.Search.ClusterSearchStatus")]
public sealed class ClusterSearchStatus
{
    /// <summary>Whether nothing runs and nothing more will start.</summary>
    [Id(0)] public bool IsFinished { get; init; }

    /// <summary>The trial table.</summary>
    [Id(1)] public IReadOnlyList<TrialSummary> Trials { get; init; } = [];

    /// <summary>The best trial's number, or null.</summary>
    [Id(2)] public int? BestTrial { get; init; }

    /// <summary>Completions the coordinator accepted since it was activated (a trial can be accepted once per activation).</summary>
    [Id(3)] public int AcceptedCompletions { get; init; }

    /// <summary>Trials re-queued because their worker went silent.</summary>
    [Id(4)] public IReadOnlyList<int> Requeued { get; init; } = [];

    /// <summary>Errors workers reported (e.g. data they cannot read), by worker.</summary>
    [Id(5)] public IReadOnlyDictionary<string, string> WorkerErrors { get; init; } = new Dictionary<string, string>();

    /// <summary>Why the search was aborted, or null.</summary>
    [Id(6)] public string? AbortReason { get; init; }
}

/// <summary>The grain that owns a search's state; its key is the search plan's name.</summary>
[Alias("MlNetDeep.Search.ISearchCoordinatorGrain")]
public interface ISearchCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>The next trial for <paramref name="worker"/>, or null when none is left to start now.</summary>
    [Alias("RequestTrial")]
    Task<TrialLease?> RequestTrial(string worker);

    /// <summary>Records an epoch and says whether the trial goes on.</summary>
    [Alias("ReportEpoch")]
    Task<TrialVerdict> ReportEpoch(int number, int attempt, EpochReport epoch);

    /// <summary>Marks a trial finished; true when it is the best so far.</summary>
    [Alias("Complete")]
    Task<bool> Complete(int number, int attempt);

    /// <summary>Marks a trial failed with <paramref name="message"/>.</summary>
    [Alias("Fail")]
    Task Fail(int number, int attempt, string message);

    /// <summary>Keeps a running trial's lease alive.</summary>
    [Alias("Heartbeat")]
    Task Heartbeat(int number, int attempt);

    /// <summary>Records that <paramref name="worker"/> cannot work (e.g. it cannot read the data).</summary>
    [Alias("ReportWorkerError")]
    Task ReportWorkerError(string worker, string message);

    /// <summary>The search's state.</summary>
    [Alias("GetStatus")]
    Task<ClusterSearchStatus> GetStatus();
}
