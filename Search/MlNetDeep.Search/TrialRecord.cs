using System.Text.Json.Serialization;

namespace MlNetDeep.Search;

/// <summary>Where a trial stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrialState>))]
public enum TrialState
{
    /// <summary>Handed to a worker and training.</summary>
    Running,

    /// <summary>Trained to its last epoch, or until the trainer's own early stopping.</summary>
    Completed,

    /// <summary>Stopped early by the scheduler (ASHA, median stopping) or the search's epoch budget.</summary>
    Stopped,

    /// <summary>Threw; <see cref="TrialRecord.Error"/> says what.</summary>
    Failed,
}

/// <summary>One epoch of a trial as the search saw it.</summary>
public sealed record TrialEpoch
{
    /// <summary>The epoch number, from 1.</summary>
    public required int Epoch { get; init; }

    /// <summary>The searched metric's value after this epoch.</summary>
    public required double Value { get; init; }

    /// <summary>The mean training loss.</summary>
    public required double TrainLoss { get; init; }

    /// <summary>The validation loss, when there was validation data.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Seconds the epoch took.</summary>
    public required double Seconds { get; init; }
}

/// <summary>One row of the trial table: the parameters, every epoch's metric, the state and the duration.</summary>
public sealed class TrialRecord
{
    /// <summary>The trial's number, from 0, in the order trials were sampled.</summary>
    public required int Number { get; init; }

    /// <summary>How many times the trial was handed out (more than 1 after a worker was lost mid-trial).</summary>
    public int Attempt { get; set; } = 1;

    /// <summary>The trainer's seed for this trial.</summary>
    public required int Seed { get; init; }

    /// <summary>The sampled parameters' values (active parameters only).</summary>
    public required IReadOnlyDictionary<string, object> Parameters { get; init; }

    /// <summary>The unit-cube coordinates the parameters came from.</summary>
    public required IReadOnlyList<double> Unit { get; init; }

    /// <summary>The trainer options the trial ran with, as JSON.</summary>
    public required string OptionsJson { get; init; }

    /// <summary>The epochs the trial trains unless stopped early (its options' NumberOfEpochs).</summary>
    public required int MaxEpochs { get; init; }

    /// <summary>The state.</summary>
    public TrialState State { get; set; } = TrialState.Running;

    /// <summary>The searched metric after each epoch.</summary>
    public List<TrialEpoch> Epochs { get; init; } = [];

    /// <summary>The best value of the searched metric over the trial's epochs, or null before the first epoch.</summary>
    public double? Score { get; set; }

    /// <summary>Why the scheduler or the budget stopped the trial early.</summary>
    public string? StopReason { get; set; }

    /// <summary>The exception message of a failed trial.</summary>
    public string? Error { get; set; }

    /// <summary>The worker that ran (or runs) the trial.</summary>
    public string? Worker { get; set; }

    /// <summary>When the current attempt started (UTC).</summary>
    public DateTime StartedUtc { get; set; }

    /// <summary>Wall-clock seconds of the finished attempt.</summary>
    public double Seconds { get; set; }

    /// <summary>Whether the trial has finished (completed, stopped or failed).</summary>
    [JsonIgnore]
    public bool IsFinished => State != TrialState.Running;

    /// <inheritdoc />
    public override string ToString() =>
        $"trial {Number}: {State}, score {Score:G4} after {Epochs.Count} epochs, {Seconds:F1} s ({string.Join(", ", Parameters.Select(p => $"{p.Key}={SearchParameter.Format(p.Value is double d ? Math.Round(d, 5) : p.Value)}"))})" +
        (Error is null ? "" : $": {Error}");
}
