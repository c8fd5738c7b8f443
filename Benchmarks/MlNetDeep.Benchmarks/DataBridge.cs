using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using static MlNetDeep.Benchmarks.Statistics;

namespace MlNetDeep.Benchmarks;

/// <summary>What the IDataView-to-tensor bridge costs: the caching pass, the batch share of cached epochs, and streaming epochs.</summary>
internal sealed record DataBridgeResult(
    int Rows,
    double[] CachingPassSeconds,
    double CachingPassRowsPerSecond,
    double CursorOnlyRowsPerSecond,
    double CachedMedianEpochSeconds,
    double CachedMedianDataSeconds,
    double CachedDataShareOfEpoch,
    double[] StreamingEpochSeconds,
    double[] StreamingDataSeconds,
    double StreamingMedianEpochSeconds,
    double StreamingDataShareOfEpoch,
    double StreamingToCachedEpochRatio);

internal static class DataBridge
{
    /// <param name="keyedData">The data the overhead runs trained on.</param>
    /// <param name="rows">Its row count.</param>
    /// <param name="cachedFits">The overhead runs' fits, with the default <see cref="DataLoadingMode.CacheAsTensors"/>.</param>
    public static DataBridgeResult Run(MLContext ml, IDataView keyedData, int rows, BenchmarkSettings settings, IReadOnlyList<TimedFit> cachedFits)
    {
        // Preparation: the caching pass, plus the feature statistics (computed even with NormalizeFeatures off) and building the network.
        var cachingSeconds = cachedFits.Select(f => f.PreparationSeconds).ToArray();
        var cachedEpochs = cachedFits.SelectMany(f => f.History.Skip(1)).ToArray();

        Console.WriteLine($"  streaming fit, {settings.StreamingEpochs} epochs");
        var options = settings.BareMlp(settings.StreamingEpochs);
        options.DataLoading = DataLoadingMode.Streaming;
        var streaming = TimedFit.Run(ml, keyedData, options);
        streaming.Model.Dispose();
        var streamingEpochs = streaming.History.Skip(1).ToArray();

        var cachedMedian = Median(cachedEpochs.Select(r => r.Seconds));
        var streamingMedian = Median(streamingEpochs.Select(r => r.Seconds));
        return new DataBridgeResult(
            rows,
            Round(cachingSeconds),
            Round(rows / Median(cachingSeconds)),
            Round(CursorRowsPerSecond(keyedData)),
            Round(cachedMedian),
            Round(Median(cachedEpochs.Select(r => r.DataSeconds))),
            Round(Median(cachedEpochs.Select(r => r.DataSeconds / r.Seconds))),
            Round(streaming.History.Select(r => r.Seconds)),
            Round(streaming.History.Select(r => r.DataSeconds)),
            Round(streamingMedian),
            Round(Median(streamingEpochs.Select(r => r.DataSeconds / r.Seconds))),
            Round(streamingMedian / cachedMedian));
    }

    /// <summary>Rows per second of a bare ML.NET cursor reading the label and the pixels: the floor under any bridge.</summary>
    private static double CursorRowsPerSecond(IDataView data)
    {
        var watch = Stopwatch.StartNew();
        using var cursor = data.GetRowCursor([data.Schema["Features"], data.Schema["Label"]]);
        var readFeatures = cursor.GetGetter<VBuffer<float>>(data.Schema["Features"]);
        var readLabel = cursor.GetGetter<uint>(data.Schema["Label"]);
        VBuffer<float> pixels = default;
        uint key = 0;
        long rows = 0;
        while (cursor.MoveNext())
        {
            readFeatures(ref pixels);
            readLabel(ref key);
            rows++;
        }
        return rows / watch.Elapsed.TotalSeconds;
    }
}
