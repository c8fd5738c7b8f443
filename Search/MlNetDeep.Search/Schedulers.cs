namespace MlNetDeep.Search;

/// <summary>
/// Decides after each epoch whether a trial goes on (epochs are the resource). A scheduler reads only the trial table,
/// so its decisions survive a restart of the search and need no state of their own.
/// </summary>
public abstract class TrialScheduler
{
    /// <summary>Why <paramref name="trial"/> should stop after its latest epoch, or null to let it continue.</summary>
    /// <param name="trial">The trial, with its latest epoch already in <see cref="TrialRecord.Epochs"/>.</param>
    /// <param name="trials">All trials so far (the one deciding included).</param>
    /// <param name="maximize">Whether a higher metric is better.</param>
    public abstract string? ShouldStop(TrialRecord trial, IReadOnlyList<TrialRecord> trials, bool maximize);

    /// <summary>A short description for the trial table and reports.</summary>
    public virtual string Describe() => GetType().Name;

    /// <summary>Checks the settings.</summary>
    public virtual void Validate() { }
}

/// <summary>Never stops a trial: every trial trains until its own end (plain random or quasi-random search).</summary>
public sealed class NoStopping : TrialScheduler
{
    /// <inheritdoc />
    public override string? ShouldStop(TrialRecord trial, IReadOnlyList<TrialRecord> trials, bool maximize) => null;
}

/// <summary>
/// Asynchronous successive halving (ASHA, Li et al. 2020), the stopping form Ray Tune and Optuna use: rungs at
/// <see cref="MinEpochs"/> × <see cref="ReductionFactor"/>^k epochs; a trial reaching a rung goes on only when its
/// metric is in the top 1/η of all values recorded at that rung so far. Nothing waits for a full bracket, so workers
/// never idle.
/// </summary>
public sealed class AshaScheduler : TrialScheduler
{
    /// <summary>Epochs every trial gets before it can be stopped (the first rung). Default 1.</summary>
    public int MinEpochs { get; init; } = 1;

    /// <summary>η: a rung keeps the best 1/η of its trials. Default 3.</summary>
    public double ReductionFactor { get; init; } = 3;

    /// <inheritdoc />
    public override string? ShouldStop(TrialRecord trial, IReadOnlyList<TrialRecord> trials, bool maximize) =>
        StopAtRung(trial, trials, MinEpochs, ReductionFactor, maximize, "ASHA");

    /// <summary>
    /// The ASHA rule over <paramref name="peers"/>: at a rung (<paramref name="firstRung"/> × η^k epochs) a trial goes on
    /// only when its value is in the best 1/η of the values the peers recorded there.
    /// </summary>
    internal static string? StopAtRung(TrialRecord trial, IEnumerable<TrialRecord> peers, int firstRung, double reductionFactor, bool maximize, string rule)
    {
        var epoch = trial.Epochs[^1].Epoch;
        if (!IsRung(epoch, firstRung, reductionFactor))
            return null;
        var value = trial.Epochs[^1].Value;
        var others = peers.Where(t => t.Number != trial.Number && t.Epochs.Count >= epoch).Select(t => t.Epochs[epoch - 1].Value).ToList();
        if (others.Count == 0)
            return null;
        others.Add(value);
        var cutoff = Percentile(others, maximize ? 1 - 1 / reductionFactor : 1 / reductionFactor);
        var keep = maximize ? value >= cutoff : value <= cutoff;
        return keep ? null : $"{rule}: {value:G4} at rung {epoch} epochs is outside the best 1/{reductionFactor:G3} (cutoff {cutoff:G4} over {others.Count} trials)";
    }

    private static bool IsRung(int epoch, int firstRung, double reductionFactor)
    {
        for (double rung = firstRung; rung <= epoch + 1e-9; rung *= reductionFactor)
        {
            if (Math.Abs(rung - epoch) < 1e-9 || (int)Math.Round(rung) == epoch)
                return true;
        }
        return false;
    }

    private static double Percentile(List<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }

    /// <inheritdoc />
    public override string Describe() => $"ASHA(min {MinEpochs}, eta {ReductionFactor})";

    /// <inheritdoc />
    public override void Validate() => ValidateRungs(nameof(AshaScheduler), MinEpochs, ReductionFactor);

    /// <summary>Checks a first rung and η as ASHA and Hyperband use them, naming <paramref name="scheduler"/> in the error.</summary>
    internal static void ValidateRungs(string scheduler, int minEpochs, double reductionFactor)
    {
        if (minEpochs < 1)
            throw new ArgumentException($"{scheduler}.MinEpochs must be at least 1 (got {minEpochs}).");
        if (!(reductionFactor > 1))
            throw new ArgumentException($"{scheduler}.ReductionFactor must be greater than 1 (got {reductionFactor}).");
    }
}

/// <summary>
/// Asynchronous Hyperband (Li et al. 2020; Ray Tune's AsyncHyperBand): trials are dealt round-robin into
/// <see cref="Brackets"/> brackets, and bracket s runs ASHA among its own trials with its first rung at
/// <see cref="MinEpochs"/> × η^s epochs. Bracket 0 stops aggressively after few epochs; later brackets give every trial
/// more epochs before judging it, which hedges against metrics that rank trials differently early and late.
/// </summary>
public sealed class HyperbandScheduler : TrialScheduler
{
    /// <summary>The first rung of bracket 0, in epochs. Default 1.</summary>
    public int MinEpochs { get; init; } = 1;

    /// <summary>η: a rung keeps the best 1/η of its bracket's trials, and each bracket's first rung is η times the previous one's. Default 3.</summary>
    public double ReductionFactor { get; init; } = 3;

    /// <summary>How many brackets. Default 3.</summary>
    public int Brackets { get; init; } = 3;

    /// <summary>The bracket trial <paramref name="trialNumber"/> belongs to.</summary>
    public int BracketOf(int trialNumber) => trialNumber % Brackets;

    /// <inheritdoc />
    public override string? ShouldStop(TrialRecord trial, IReadOnlyList<TrialRecord> trials, bool maximize)
    {
        var bracket = BracketOf(trial.Number);
        var firstRung = (int)Math.Round(MinEpochs * Math.Pow(ReductionFactor, bracket));
        return AshaScheduler.StopAtRung(trial, trials.Where(t => BracketOf(t.Number) == bracket), firstRung, ReductionFactor, maximize,
            $"Hyperband bracket {bracket}");
    }

    /// <inheritdoc />
    public override string Describe() => $"Hyperband(min {MinEpochs}, eta {ReductionFactor}, brackets {Brackets})";

    /// <inheritdoc />
    public override void Validate()
    {
        AshaScheduler.ValidateRungs(nameof(HyperbandScheduler), MinEpochs, ReductionFactor);
        if (Brackets < 1)
            throw new ArgumentException($"HyperbandScheduler.Brackets must be at least 1 (got {Brackets}).");
    }
}

/// <summary>
/// The median stopping rule (Golovin et al. 2017, Google Vizier): after <see cref="GraceEpochs"/>, a trial stops when
/// its best value so far is worse than the median of the other trials' running means at the same epoch.
/// </summary>
public sealed class MedianStoppingRule : TrialScheduler
{
    /// <summary>Epochs before a trial can be stopped. Default 1.</summary>
    public int GraceEpochs { get; init; } = 1;

    /// <summary>Other trials that must have reached the epoch before the rule applies. Default 3.</summary>
    public int MinTrials { get; init; } = 3;

    /// <inheritdoc />
    public override string? ShouldStop(TrialRecord trial, IReadOnlyList<TrialRecord> trials, bool maximize)
    {
        var epoch = trial.Epochs[^1].Epoch;
        if (epoch <= GraceEpochs)
            return null;
        var means = trials.Where(t => t.Number != trial.Number && t.Epochs.Count >= epoch)
            .Select(t => t.Epochs.Take(epoch).Average(e => e.Value)).Order().ToArray();
        if (means.Length < MinTrials)
            return null;
        var median = means.Length % 2 == 1 ? means[means.Length / 2] : (means[means.Length / 2 - 1] + means[means.Length / 2]) / 2;
        var best = maximize ? trial.Epochs.Max(e => e.Value) : trial.Epochs.Min(e => e.Value);
        var worse = maximize ? best < median : best > median;
        return worse ? $"median stopping: best {best:G4} is worse than the median running mean {median:G4} at epoch {epoch}" : null;
    }

    /// <inheritdoc />
    public override string Describe() => $"MedianStopping(grace {GraceEpochs}, min {MinTrials})";

    /// <inheritdoc />
    public override void Validate()
    {
        if (GraceEpochs < 0)
            throw new ArgumentException($"MedianStoppingRule.GraceEpochs must not be negative (got {GraceEpochs}).");
        if (MinTrials < 1)
            throw new ArgumentException($"MedianStoppingRule.MinTrials must be at least 1 (got {MinTrials}).");
    }
}
