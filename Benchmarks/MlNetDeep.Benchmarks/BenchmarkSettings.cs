namespace MlNetDeep.Benchmarks;

/// <summary>How much each figure measures: quick mode (under 5 minutes on 2 cores) or full mode (up to ~30 minutes).</summary>
/// <param name="DefaultsAccuracyEpochs">Epoch cap of the library-defaults accuracy run; null keeps the library's own NumberOfEpochs (and early stopping).</param>
/// <param name="MemoryFitRows">Training rows of each short fit in the memory figures (one epoch each).</param>
/// <param name="MemorySampleEvery">Predictions between memory samples.</param>
internal sealed record BenchmarkSettings(
    string Mode,
    int Seed,
    int Threads,
    int[] HiddenLayerSizes,
    int BatchSize,
    double LearningRate,
    int OverheadRounds,
    int OverheadEpochsPerRun,
    int? DefaultsAccuracyEpochs,
    int TunedAccuracyEpochs,
    int StreamingEpochs,
    int MemoryWarmupFits,
    int MemoryFits,
    int MemoryFitRows,
    int LatencyWarmupCalls,
    int LatencyCalls,
    int TransformPasses,
    int MemoryPredictions,
    int MemorySampleEvery)
{
    public static BenchmarkSettings For(string mode) => mode switch
    {
        "quick" => new(mode, Seed: 1, Threads: 2, HiddenLayerSizes: [256, 128], BatchSize: 128, LearningRate: 1e-3,
            OverheadRounds: 3, OverheadEpochsPerRun: 3, DefaultsAccuracyEpochs: 5, TunedAccuracyEpochs: 10, StreamingEpochs: 3,
            MemoryWarmupFits: 2, MemoryFits: 4, MemoryFitRows: 10_000, LatencyWarmupCalls: 2_000, LatencyCalls: 20_000, TransformPasses: 2,
            MemoryPredictions: 200_000, MemorySampleEvery: 20_000),
        "full" => new(mode, Seed: 1, Threads: 2, HiddenLayerSizes: [256, 128], BatchSize: 128, LearningRate: 1e-3,
            OverheadRounds: 10, OverheadEpochsPerRun: 5, DefaultsAccuracyEpochs: null, TunedAccuracyEpochs: 40, StreamingEpochs: 5,
            MemoryWarmupFits: 2, MemoryFits: 10, MemoryFitRows: 20_000, LatencyWarmupCalls: 5_000, LatencyCalls: 50_000, TransformPasses: 3,
            MemoryPredictions: 1_000_000, MemorySampleEvery: 100_000),
        _ => throw new ArgumentException($"Unknown mode '{mode}'; use quick or full."),
    };

    /// <summary>The scoring figures' calls and passes, with the MLP's latency target.</summary>
    public ScoringPlan ScoringPlan() => new(Seed, LatencyWarmupCalls, LatencyCalls, TransformPasses, Scoring.TargetMedianMilliseconds);

    /// <summary>
    /// The bare MLP the overhead, data-bridge and memory figures train: no dropout, no standardization, no validation,
    /// no early stopping, constant learning rate, so an epoch does the same work as the plain TorchSharp loop.
    /// </summary>
    public FeedForwardOptions BareMlp(int epochs) => new()
    {
        HiddenLayerSizes = HiddenLayerSizes,
        BatchSize = BatchSize,
        NumberOfEpochs = epochs,
        Optimizer = OptimizerKind.Adam,
        LearningRate = LearningRate,
        DropoutRate = 0,
        NormalizeFeatures = false,
        ValidationFraction = 0,
        EarlyStopping = null,
        LearningRateSchedule = null,
        Seed = Seed,
        NumberOfThreads = Threads,
    };
}
