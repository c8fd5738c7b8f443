using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using MlNetDeep.Serving;
using static MlNetDeep.Benchmarks.Statistics;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Median µs per Predict over alternating rounds: a bare PredictionEngine, the pool, and the pool with every serving instrument
/// listened to (as an OpenTelemetry exporter would); the overheads are medians of each round's difference to its bare round.
/// </summary>
internal sealed record PoolOverheadResult(
    string Model, int CallsPerRound, int Rounds,
    double BareEngineMedianMicroseconds, double PoolMedianMicroseconds, double PoolWithMetricsListenerMedianMicroseconds,
    double OverheadMicroseconds, double OverheadWithMetricsListenerMicroseconds, double TargetOverheadMicroseconds, bool TargetMet);

/// <summary>Rows/s of one batch: a pooled engine called once per row, against the default TransformBatchScorer (the dynamic batching path until a batched ONNX scorer is plugged in).</summary>
internal sealed record BatchScorerResult(string Model, int BatchSize, int Rounds, double EngineRowsPerSecond, double TransformBatchScorerRowsPerSecond, double RatioScorerToEngine);

/// <summary>The serving suite's in-process figures.</summary>
internal static class ServingInProcess
{
    public const double TargetOverheadMicroseconds = 5;

    public static PoolOverheadResult PoolOverhead(string modelName, string modelPath, ServingItem[] items, int callsPerRound = 1000, int rounds = 41)
    {
        var ml = new MLContext();
        using var model = (IDisposable)ml.Model.Load(modelPath, out _);
        using var engine = ml.Model.CreatePredictionEngine<ServingItem, ServingPrediction>((ITransformer)model, Scoring.KeepModel);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<ServingItem, ServingPrediction>().FromFile(modelPath, watchForChanges: false);
        using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<ServingItem, ServingPrediction>>();
        Func<ServingItem, ServingPrediction> bare = engine.Predict, pooled = pool.Predict;
        Run(bare, 2000, items);
        Run(pooled, 2000, items);
        var (bareRounds, poolRounds, listenedRounds) = (new List<double>(), new List<double>(), new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            bareRounds.Add(Run(bare, callsPerRound, items));
            poolRounds.Add(Run(pooled, callsPerRound, items));
            using var listener = ListenToServingInstruments();
            listenedRounds.Add(Run(pooled, callsPerRound, items));
        }
        // The overhead is the median of each round's own difference: rounds side by side share the machine's load of the moment.
        var overhead = Median(poolRounds.Zip(bareRounds, (p, b) => p - b));
        var listenedOverhead = Median(listenedRounds.Zip(bareRounds, (l, b) => l - b));
        return new PoolOverheadResult(modelName, callsPerRound, rounds, Round(Median(bareRounds)), Round(Median(poolRounds)), Round(Median(listenedRounds)),
            Round(overhead), Round(listenedOverhead), TargetOverheadMicroseconds, overhead <= TargetOverheadMicroseconds);
    }

    public static BatchScorerResult BatchScorer(string modelName, string modelPath, ServingItem[] items, int batchSize, int rounds = 15)
    {
        var ml = new MLContext();
        using var model = (IDisposable)ml.Model.Load(modelPath, out _);
        var transformer = (ITransformer)model;
        using var engine = ml.Model.CreatePredictionEngine<ServingItem, ServingPrediction>(transformer, Scoring.KeepModel);
        using var scorer = new TransformBatchScorer<ServingItem, ServingPrediction>(ml, transformer);
        var batch = items.Take(batchSize).ToArray();
        var repeats = Math.Max(1, 2048 / batchSize);
        double EngineRound() => Time(() => { foreach (var item in batch) engine.Predict(item); }, repeats);
        double ScorerRound() => Time(() => scorer.Score(batch), repeats);
        EngineRound();
        ScorerRound();
        var (engineSeconds, scorerSeconds) = (new List<double>(), new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            engineSeconds.Add(EngineRound());
            scorerSeconds.Add(ScorerRound());
        }
        var (e, s) = (batchSize / Median(engineSeconds), batchSize / Median(scorerSeconds));
        return new BatchScorerResult(modelName, batchSize, rounds, Math.Round(e), Math.Round(s), Round(s / e));
    }

    /// <summary>Mean µs per call over <paramref name="calls"/> calls.</summary>
    private static double Run(Func<ServingItem, ServingPrediction> predict, int calls, ServingItem[] items)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
            predict(items[i % items.Length]);
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
    }

    /// <summary>Mean seconds of one <paramref name="action"/> over <paramref name="repeats"/> runs.</summary>
    private static double Time(Action action, int repeats)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < repeats; i++)
            action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / repeats;
    }

    private static MeterListener ListenToServingInstruments()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ServingMetrics.MeterName)
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        listener.SetMeasurementEventCallback<int>((_, _, _, _) => { });
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        listener.Start();
        return listener;
    }
}

/// <summary>A Fashion-MNIST image as the Web API's model reads it.</summary>
internal sealed class ServingItem
{
    public string Label { get; set; } = "";

    [Microsoft.ML.Data.VectorType(28, 28)]
    public float[] Features { get; set; } = [];
}

/// <summary>The Web API's model output: class name and probabilities.</summary>
internal sealed class ServingPrediction
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}
