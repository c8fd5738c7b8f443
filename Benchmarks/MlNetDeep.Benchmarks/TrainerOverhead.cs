using Microsoft.ML;
using static MlNetDeep.Benchmarks.Statistics;

namespace MlNetDeep.Benchmarks;

/// <summary>Epoch time of the FeedForward trainer against the same MLP in a plain TorchSharp loop.</summary>
internal sealed record OverheadResult(
    int Rows,
    int Rounds,
    int EpochsPerRun,
    double[][] TrainerEpochSeconds,
    double[][] PlainEpochSeconds,
    double TrainerMedianEpochSeconds,
    double PlainMedianEpochSeconds,
    double RatioTrainerToPlain,
    double[] RatioPerRound,
    double TrainerFastestEpochSeconds,
    double PlainFastestEpochSeconds,
    double RatioOfFastestEpochs,
    double[] TrainerFitWallSeconds,
    double[] TrainerPreparationSeconds,
    double[] TrainerExportSeconds,
    double[] TrainerLastTrainLoss,
    double[] PlainLastTrainLoss,
    double?[] OtherProcessesCoresDuringTrainer,
    double?[] OtherProcessesCoresDuringPlain);

internal static class TrainerOverhead
{
    /// <summary>
    /// Runs the trainer and the plain loop alternately (A, B, A, B …) so that load from other processes hits both alike.
    /// Returns the trainer's fits (models disposed) for the data-bridge figures.
    /// </summary>
    public static (OverheadResult Result, IReadOnlyList<TimedFit> TrainerFits) Run(MLContext ml, IDataView keyedData, BenchmarkSettings settings)
    {
        using var tensors = TensorDataset.Read(keyedData);
        var classCount = IdxImages.FashionMnistClassNames.Count;
        var epochs = settings.OverheadEpochsPerRun;
        var trainerFits = new List<TimedFit>();
        var plainRuns = new List<PlainRun>();
        var trainerNoise = new List<double?>();
        var plainNoise = new List<double?>();
        for (var round = 1; round <= settings.OverheadRounds; round++)
        {
            Console.WriteLine($"  round {round}/{settings.OverheadRounds}: trainer, then plain TorchSharp, {epochs} epochs each");
            GC.Collect();
            var start = CpuSnapshot.Take();
            var fit = TimedFit.Run(ml, keyedData, settings.BareMlp(epochs));
            fit.Model.Dispose();
            trainerNoise.Add(CpuSnapshot.Take().OtherProcessesCores(start));
            trainerFits.Add(fit);

            GC.Collect();
            start = CpuSnapshot.Take();
            plainRuns.Add(PlainTorchLoop.Train(tensors, classCount, settings, epochs));
            plainNoise.Add(CpuSnapshot.Take().OtherProcessesCores(start));
        }

        var trainerEpochs = trainerFits.Select(f => f.History.Select(r => r.Seconds).ToArray()).ToArray();
        var plainEpochs = plainRuns.Select(r => r.EpochSeconds).ToArray();
        var trainerMedian = Median(trainerEpochs.SelectMany(AfterWarmup));
        var plainMedian = Median(plainEpochs.SelectMany(AfterWarmup));
        var trainerFastest = trainerEpochs.SelectMany(AfterWarmup).Min();
        var plainFastest = plainEpochs.SelectMany(AfterWarmup).Min();
        var result = new OverheadResult(
            (int)tensors.Count,
            settings.OverheadRounds,
            epochs,
            trainerEpochs.Select(Round).ToArray(),
            plainEpochs.Select(Round).ToArray(),
            Round(trainerMedian),
            Round(plainMedian),
            Round(trainerMedian / plainMedian),
            Round(trainerEpochs.Zip(plainEpochs, (t, p) => Median(AfterWarmup(t)) / Median(AfterWarmup(p)))),
            Round(trainerFastest),
            Round(plainFastest),
            Round(trainerFastest / plainFastest),
            Round(trainerFits.Select(f => f.WallSeconds)),
            Round(trainerFits.Select(f => f.PreparationSeconds)),
            Round(trainerFits.Select(f => f.ExportSeconds)),
            Round(trainerFits.Select(f => f.History[^1].TrainLoss)),
            Round(plainRuns.Select(r => r.LastTrainLoss)),
            trainerNoise.ToArray(),
            plainNoise.ToArray());
        return (result, trainerFits);
    }
}
