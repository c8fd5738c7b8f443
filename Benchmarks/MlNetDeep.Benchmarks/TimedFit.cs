using System.Diagnostics;
using Microsoft.ML;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// One trainer Fit timed from the outside. The epoch reports split its wall time into preparation (reading and caching
/// the data, building the network), the epochs (<see cref="EpochRecord.Seconds"/>) and export (ONNX and scoring chain).
/// </summary>
internal sealed record TimedFit(DeepPredictionTransformer Model, double WallSeconds, double PreparationSeconds, double ExportSeconds)
{
    public IReadOnlyList<EpochRecord> History => Model.History;

    /// <summary>Fits the FeedForward trainer on <paramref name="keyedData"/>.</summary>
    public static TimedFit Run(MLContext ml, IDataView keyedData, FeedForwardOptions options) =>
        Run(keyedData, options, () => ml.MulticlassClassification.Trainers.FeedForward(options));

    /// <summary>Fits the ConvolutionalNetwork trainer on <paramref name="keyedData"/>.</summary>
    public static TimedFit Run(MLContext ml, IDataView keyedData, ConvolutionalNetworkOptions options) =>
        Run(keyedData, options, () => ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options));

    private static TimedFit Run(IDataView keyedData, DeepTrainerOptions options, Func<DeepTrainer> createTrainer)
    {
        var reports = new EpochReportTimes();
        var trainer = createTrainer().WithProgress(reports);
        var start = Stopwatch.GetTimestamp();
        var model = trainer.Fit(keyedData);
        var end = Stopwatch.GetTimestamp();
        var preparation = Stopwatch.GetElapsedTime(start, reports.Times[0]).TotalSeconds - model.History[0].Seconds;
        var export = Stopwatch.GetElapsedTime(reports.Times[^1], end).TotalSeconds;
        return new TimedFit(model, Stopwatch.GetElapsedTime(start, end).TotalSeconds, preparation, export);
    }

    /// <summary>Timestamps of the engine's end-of-epoch reports (delivered synchronously, unlike <see cref="Progress{T}"/>).</summary>
    private sealed class EpochReportTimes : IProgress<EpochRecord>
    {
        public List<long> Times { get; } = [];

        public void Report(EpochRecord value) => Times.Add(Stopwatch.GetTimestamp());
    }
}
