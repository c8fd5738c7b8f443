namespace MlNetDeep.Benchmarks;

/// <summary>How much each CNN figure measures: quick mode (every code path on small data, under 5 minutes on 2 cores) or full mode (all data).</summary>
/// <param name="TimingRows">Training rows of the epoch-time runs; null for all 60k.</param>
/// <param name="TimingRounds">Rounds (one trainer run, then one PyTorch run) whose other-process load stays at most <paramref name="QuietCores"/>.</param>
/// <param name="TimingExtraRounds">Rounds added at most to replace rounds disturbed by other processes.</param>
/// <param name="QuietCores">The most cores other processes may use during a timed run for its round to count.</param>
/// <param name="AccuracyRows">Training rows of the accuracy runs; null for all 60k.</param>
/// <param name="AccuracyEpochs">Epochs of the accuracy runs; null for each recipe's own.</param>
/// <param name="AccuracySeeds">Each accuracy recipe is trained once per seed.</param>
internal sealed record CnnBenchmarkSettings(
    string Mode,
    int Seed,
    int Threads,
    int BatchSize,
    double LearningRate,
    int? TimingRows,
    int TimingRounds,
    int TimingEpochsPerRun,
    int TimingExtraRounds,
    double QuietCores,
    int? AccuracyRows,
    int? AccuracyEpochs,
    int[] AccuracySeeds,
    int LatencyWarmupCalls,
    int LatencyCalls,
    int TransformPasses)
{
    public static CnnBenchmarkSettings For(string mode) => mode switch
    {
        "quick" => new(mode, Seed: 1, Threads: 2, BatchSize: 128, LearningRate: 1e-3,
            TimingRows: 10_000, TimingRounds: 2, TimingEpochsPerRun: 3, TimingExtraRounds: 1, QuietCores: 0.1,
            AccuracyRows: 5_000, AccuracyEpochs: 2, AccuracySeeds: [1, 2],
            LatencyWarmupCalls: 500, LatencyCalls: 3_000, TransformPasses: 1),
        "full" => new(mode, Seed: 1, Threads: 2, BatchSize: 128, LearningRate: 1e-3,
            TimingRows: null, TimingRounds: 3, TimingEpochsPerRun: 5, TimingExtraRounds: 3, QuietCores: 0.1,
            AccuracyRows: null, AccuracyEpochs: null, AccuracySeeds: [1],
            LatencyWarmupCalls: 2_000, LatencyCalls: 20_000, TransformPasses: 3),
        _ => throw new ArgumentException($"Unknown mode '{mode}'; use quick or full."),
    };

    /// <summary>
    /// The trainer's default network as the epoch-time runs train it: batch 128, Adam 1e-3, constant learning rate, no
    /// validation, no early stopping, so that an epoch does the same work as the PyTorch script's.
    /// </summary>
    public ConvolutionalNetworkOptions BareCnn(int epochs) => new()
    {
        BatchSize = BatchSize,
        NumberOfEpochs = epochs,
        Optimizer = OptimizerKind.Adam,
        LearningRate = LearningRate,
        ValidationFraction = 0,
        EarlyStopping = null,
        LearningRateSchedule = null,
        Seed = Seed,
        NumberOfThreads = Threads,
    };

    /// <summary>The scoring figures' calls and passes; the CNN suite has no latency target.</summary>
    public ScoringPlan ScoringPlan() => new(Seed, LatencyWarmupCalls, LatencyCalls, TransformPasses, TargetMedianMilliseconds: null);
}
