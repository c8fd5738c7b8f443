using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using static MlNetDeep.Benchmarks.Statistics;

namespace MlNetDeep.Benchmarks;

/// <summary>Scoring speed of one model: single-row PredictionEngine latency and batch Transform throughput.</summary>
internal sealed record ScoringRun(
    string Model,
    int WarmupCalls,
    int Calls,
    double MedianMilliseconds,
    double P95Milliseconds,
    double MeanMilliseconds,
    double[] TransformRowsPerSecondPerPass,
    double TransformRowsPerSecond,
    double TestMicroAccuracy);

internal sealed record ScoringResult(double? TargetMedianMilliseconds, int TestRows, ScoringRun InMemory, ScoringRun SavedAndLoaded);

/// <summary>How much the scoring figures measure, and the single-row latency target where a suite has one.</summary>
internal sealed record ScoringPlan(int Seed, int LatencyWarmupCalls, int LatencyCalls, int TransformPasses, double? TargetMedianMilliseconds);

internal static class Scoring
{
    public const double TargetMedianMilliseconds = 0.2;

    /// <summary>ML.NET's default (OwnsTransformer) disposes the model with the engine, which would break every later use of it.</summary>
    public static PredictionEngineOptions KeepModel => new() { OwnsTransformer = false };

    public static ScoringResult Run(MLContext ml, FashionMnist data, ScoringPlan plan, ITransformer model)
    {
        var items = data.TestItems();
        Console.WriteLine("  fitted model in memory");
        var inMemory = Measure(ml, "fitted, in memory", model, data, items, plan);

        var path = Path.GetTempFileName();
        try
        {
            ml.Model.Save(model, data.Train.Schema, path);
            var loadingContext = new MLContext(plan.Seed);
            var loaded = loadingContext.Model.Load(path, out _);
            try
            {
                Console.WriteLine("  model after Save and Load");
                var savedAndLoaded = Measure(loadingContext, "after ml.Model.Save and new MLContext().Model.Load", loaded, data, items, plan);
                return new ScoringResult(plan.TargetMedianMilliseconds, items.Length, inMemory, savedAndLoaded);
            }
            finally
            {
                // A loaded OnnxTransformer deletes its temporary copy of the ONNX model on Dispose.
                (loaded as IDisposable)?.Dispose();
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static ScoringRun Measure(MLContext ml, string name, ITransformer model, FashionMnist data, FashionItem[] items, ScoringPlan plan)
    {
        var latencies = new double[plan.LatencyCalls];
        using (var engine = ml.Model.CreatePredictionEngine<FashionItem, FashionPrediction>(model, KeepModel))
        {
            for (var i = 0; i < plan.LatencyWarmupCalls; i++)
                engine.Predict(items[i % items.Length]);
            for (var i = 0; i < latencies.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                engine.Predict(items[i % items.Length]);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        // The first pass pays for building the mappers and ONNX Runtime's first runs; it is not reported.
        TransformRowsPerSecond(model, data.Test);
        var passes = Enumerable.Range(0, plan.TransformPasses).Select(_ => TransformRowsPerSecond(model, data.Test)).ToArray();
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(data.Test)).MicroAccuracy;
        return new ScoringRun(name, plan.LatencyWarmupCalls, latencies.Length, Round(Median(latencies)), Round(Percentile(latencies, 95)),
            Round(latencies.Average()), Round(passes), Round(Median(passes)), Round(accuracy));
    }

    /// <summary>Rows per second of one cursor pass over the Score column of <c>model.Transform(data)</c>.</summary>
    private static double TransformRowsPerSecond(ITransformer model, IDataView data)
    {
        var watch = Stopwatch.StartNew();
        var scored = model.Transform(data);
        var scoreColumn = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([scoreColumn]);
        var readScore = cursor.GetGetter<VBuffer<float>>(scoreColumn);
        VBuffer<float> score = default;
        long rows = 0;
        while (cursor.MoveNext())
        {
            readScore(ref score);
            rows++;
        }
        return rows / watch.Elapsed.TotalSeconds;
    }
}
