using Microsoft.ML;
using static MlNetDeep.Benchmarks.Statistics;

namespace MlNetDeep.Benchmarks;

/// <summary>Epoch time of the ConvolutionalNetwork trainer against the same network in PyTorch, from rounds run alternately.</summary>
/// <param name="RoundsCounted">The rounds (from 1) the medians come from: those that other processes left quiet, or all when none did.</param>
/// <param name="CountedRoundsQuiet">Whether the counted rounds all stayed at most <paramref name="QuietCores"/> of other-process load.</param>
internal sealed record EpochTimeResult(
    int Rows,
    int EpochsPerRun,
    int RoundsRun,
    double QuietCores,
    int[] RoundsCounted,
    bool CountedRoundsQuiet,
    double[][] TrainerEpochSeconds,
    double[][] PyTorchEpochSeconds,
    double TrainerMedianEpochSeconds,
    double? PyTorchMedianEpochSeconds,
    double? RatioTrainerToPyTorch,
    double TargetRatio,
    double?[] RatioPerRound,
    double TrainerFastestEpochSeconds,
    double? PyTorchFastestEpochSeconds,
    double? RatioOfFastestEpochs,
    double[] TrainerFitWallSeconds,
    double[] TrainerPreparationSeconds,
    double[] TrainerExportSeconds,
    double[] TrainerLastTrainLoss,
    double[] PyTorchLastTrainLoss,
    double[] TrainerTestAccuracy,
    double[] PyTorchTestAccuracy,
    double?[] OtherProcessesCoresDuringTrainer,
    double?[] OtherProcessesCoresDuringPyTorch,
    PyTorchSetup PyTorch);

internal static class EpochTimeComparison
{
    public const double TargetRatio = 1.10;

    /// <summary>One trainer run, then one PyTorch run (A, B, A, B …) so that load from other processes hits both alike.</summary>
    private sealed record Round(TimedFit Trainer, double TrainerTestAccuracy, double? TrainerNoise, PyTorchRun? PyTorch, double? PyTorchNoise)
    {
        /// <summary>Whether other processes stayed at most <paramref name="quietCores"/> during both runs (unknown counts as quiet).</summary>
        public bool IsQuiet(double quietCores) => Quiet(TrainerNoise, quietCores) && Quiet(PyTorchNoise, quietCores);

        private static bool Quiet(double? otherProcessesCores, double quietCores) => otherProcessesCores is null || otherProcessesCores <= quietCores;
    }

    /// <summary>
    /// Runs rounds until <see cref="CnnBenchmarkSettings.TimingRounds"/> of them were quiet (other processes at most
    /// <see cref="CnnBenchmarkSettings.QuietCores"/> during both runs), with at most <see cref="CnnBenchmarkSettings.TimingExtraRounds"/>
    /// rounds more than planned. Medians skip each run's first epoch.
    /// </summary>
    public static EpochTimeResult Run(MLContext ml, FashionMnist data, CnnBenchmarkSettings settings)
    {
        var rows = Math.Min(settings.TimingRows ?? data.TrainCount, data.TrainCount);
        var keyedData = data.KeyedTrainHead(rows);
        var epochs = settings.TimingEpochsPerRun;
        var pytorch = PyTorchReference.Locate();
        Console.WriteLine(pytorch.Available ? $"  reference: {pytorch.Setup.Framework}" : $"  PyTorch skipped: {pytorch.Setup.SkippedBecause}");

        var rounds = new List<Round>();
        var maxRounds = settings.TimingRounds + settings.TimingExtraRounds;
        while (rounds.Count < settings.TimingRounds || (rounds.Count(r => r.IsQuiet(settings.QuietCores)) < settings.TimingRounds && rounds.Count < maxRounds))
        {
            Console.WriteLine($"  round {rounds.Count + 1}: trainer{(pytorch.Available ? ", then PyTorch" : "")}, {epochs} epochs each on {rows} rows");
            GC.Collect();
            var start = CpuSnapshot.Take();
            var fit = TimedFit.Run(ml, keyedData, settings.BareCnn(epochs));
            var trainerNoise = CpuSnapshot.Take().OtherProcessesCores(start);
            double trainerAccuracy;
            using (var model = data.LabelToKey.Append(fit.Model))
                trainerAccuracy = ml.MulticlassClassification.Evaluate(model.Transform(data.Test)).MicroAccuracy;

            PyTorchRun? reference = null;
            double? referenceNoise = null;
            if (pytorch.Available)
            {
                GC.Collect();
                start = CpuSnapshot.Take();
                reference = pytorch.Train(epochs, rows < data.TrainCount ? rows : null, settings);
                referenceNoise = CpuSnapshot.Take().OtherProcessesCores(start);
            }
            var round = new Round(fit, trainerAccuracy, trainerNoise, reference, referenceNoise);
            rounds.Add(round);
            Console.WriteLine($"    trainer {Median(AfterWarmup(fit.History.Select(r => r.Seconds))):F2} s/epoch (others {trainerNoise:F2} cores)" +
                (reference is null ? "" : $", PyTorch {Median(AfterWarmup(reference.EpochSeconds)):F2} s/epoch (others {referenceNoise:F2} cores)") +
                (round.IsQuiet(settings.QuietCores) ? "" : "; not quiet"));
        }

        var quiet = rounds.Where(r => r.IsQuiet(settings.QuietCores)).ToArray();
        var counted = quiet.Length > 0 ? quiet : rounds.ToArray();
        var trainerEpochs = counted.Select(r => r.Trainer.History.Select(h => h.Seconds).ToArray()).ToArray();
        var trainerMedian = Median(trainerEpochs.SelectMany(AfterWarmup));
        var trainerFastest = trainerEpochs.SelectMany(AfterWarmup).Min();
        double? pytorchMedian = null, pytorchFastest = null;
        if (pytorch.Available)
        {
            var referenceEpochs = counted.Select(r => r.PyTorch!.EpochSeconds).ToArray();
            pytorchMedian = Median(referenceEpochs.SelectMany(AfterWarmup));
            pytorchFastest = referenceEpochs.SelectMany(AfterWarmup).Min();
        }
        return new EpochTimeResult(
            rows,
            epochs,
            rounds.Count,
            settings.QuietCores,
            counted.Select(r => rounds.IndexOf(r) + 1).ToArray(),
            quiet.Length > 0,
            rounds.Select(r => Round(r.Trainer.History.Select(h => h.Seconds))).ToArray(),
            rounds.Where(r => r.PyTorch is not null).Select(r => Round(r.PyTorch!.EpochSeconds)).ToArray(),
            Round(trainerMedian),
            pytorchMedian is { } p ? Round(p) : null,
            pytorchMedian is { } median ? Round(trainerMedian / median) : null,
            TargetRatio,
            rounds.Select(r => r.PyTorch is null ? default(double?) : Round(Median(AfterWarmup(r.Trainer.History.Select(h => h.Seconds))) / Median(AfterWarmup(r.PyTorch.EpochSeconds)))).ToArray(),
            Round(trainerFastest),
            pytorchFastest is { } f ? Round(f) : null,
            pytorchFastest is { } fastest ? Round(trainerFastest / fastest) : null,
            Round(rounds.Select(r => r.Trainer.WallSeconds)),
            Round(rounds.Select(r => r.Trainer.PreparationSeconds)),
            Round(rounds.Select(r => r.Trainer.ExportSeconds)),
            Round(rounds.Select(r => r.Trainer.History[^1].TrainLoss)),
            Round(rounds.Where(r => r.PyTorch is not null).Select(r => r.PyTorch!.TrainLosses[^1])),
            Round(rounds.Select(r => r.TrainerTestAccuracy)),
            Round(rounds.Where(r => r.PyTorch is not null).Select(r => r.PyTorch!.TestAccuracy)),
            rounds.Select(r => r.TrainerNoise).ToArray(),
            rounds.Select(r => r.PyTorchNoise).ToArray(),
            pytorch.Setup);
    }
}
