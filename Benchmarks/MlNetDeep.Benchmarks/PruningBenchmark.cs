using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;

namespace MlNetDeep.Benchmarks;

/// <summary>One network at one sparsity: MlNetDeep's accuracy and model.zip, PyTorch's accuracy and state dict.</summary>
internal sealed record SparsityRun(string Network, int Seed, double Sparsity, double AchievedSparsity, double TestAccuracy, long ModelZipBytes,
    double? PyTorchTestAccuracy, double? PyTorchAchievedSparsity, long? PyTorchStateDictBytes);

/// <summary>Means over seeds at one sparsity.</summary>
internal sealed record SparsitySummary(string Network, double Sparsity, double MeanAccuracy, double? MeanPyTorchAccuracy, double AccuracyDropFromDense,
    double ModelZipRatioToDense, bool AtLeastAsAccurateAsPyTorch);

/// <summary>One structured pruning level of the CNN: accuracy after fine-tuning, size, multiply-adds, ONNX Runtime throughput.</summary>
internal sealed record ChannelPruningRun(double ChannelsRemoved, string Network, long Parameters, long MultiplyAdds, long OnnxBytes, double TestAccuracyBeforeFineTuning,
    double TestAccuracy, OnnxThroughput.Result Throughput);

internal static class PruningBenchmark
{
    private static readonly double[] Sparsities = [0.5, 0.8, 0.9, 0.95];

    public static object Unstructured(MLContext ml, IDataView train, IDataView test, CompressionSettings settings)
    {
        var runs = new List<SparsityRun>();
        var pyTorch = PyTorchReference.Locate();
        foreach (var (network, seeds, epochs) in new[] { ("mlp", settings.Seeds, settings.MlpEpochs), ("cnn", settings.CnnSeeds, settings.CnnEpochs) })
        {
            var (start, end) = settings.Schedule(epochs);
            foreach (var seed in seeds)
            {
                var reference = pyTorch.Available ? PyTorchPruning(network, epochs, start, end, seed, settings) : null;
                foreach (var sparsity in Sparsities.Prepend(0))
                {
                    var trainer = Trainer(ml, network, epochs, seed, settings);
                    if (sparsity > 0)
                        trainer = trainer.WithPruning(new PruningOptions { Sparsity = sparsity, StartEpoch = start, EndEpoch = end, UpdatesPerEpoch = 4 });
                    var model = trainer.Fit(train);
                    var py = reference?.Single(r => Math.Abs(r.GetProperty("sparsity").GetDouble() - sparsity) < 1e-9);
                    var run = new SparsityRun(network, seed, sparsity, Math.Round(NetworkReport.Of(model.Network).Sparsity, 4),
                        CompressionSuite.Accuracy(ml, model, test), CompressionSuite.ModelZipBytes(ml, model, train),
                        py?.GetProperty("testAccuracy").GetDouble(), py is null ? null : Math.Round(py.Value.GetProperty("achievedSparsity").GetDouble(), 4),
                        py?.GetProperty("stateDictBytes").GetInt64());
                    runs.Add(run);
                    Console.WriteLine($"  {network} seed {seed} sparsity {sparsity}: {run.TestAccuracy:F4} (PyTorch {run.PyTorchTestAccuracy:F4}), model.zip {run.ModelZipBytes:N0} bytes");
                    model.Dispose();
                }
            }
        }
        var summaries = runs.GroupBy(r => (r.Network, r.Sparsity)).Select(g =>
        {
            var dense = runs.Where(r => r.Network == g.Key.Network && r.Sparsity == 0).ToList();
            var mean = CompressionSuite.Mean(g.Select(r => r.TestAccuracy));
            double? pyMean = g.All(r => r.PyTorchTestAccuracy is not null) ? CompressionSuite.Mean(g.Select(r => r.PyTorchTestAccuracy!.Value)) : null;
            return new SparsitySummary(g.Key.Network, g.Key.Sparsity, mean, pyMean, Math.Round(CompressionSuite.Mean(dense.Select(r => r.TestAccuracy)) - mean, 4),
                Math.Round(g.Average(r => (double)r.ModelZipBytes) / dense.Average(r => (double)r.ModelZipBytes), 3), pyMean is null || mean >= pyMean);
        }).ToList();
        return new { PyTorch = pyTorch.Setup, Sparsities, Summaries = summaries, Runs = runs, SparseVersusDenseOnnx = SparseOnnxCost(ml, train, settings) };
    }

    public static object Structured(MLContext ml, IDataView train, IDataView test, CompressionSettings settings)
    {
        var epochs = settings.CnnEpochs;
        var fineTuneEpochs = Math.Max(1, epochs / 2);
        var dense = Trainer(ml, "cnn", epochs, settings.CnnSeeds[0], settings).Fit(train);
        var denseAccuracy = CompressionSuite.Accuracy(ml, dense, test);
        var denseFineTuned = Trainer(ml, "cnn", fineTuneEpochs, settings.CnnSeeds[0], settings).Fit(train, dense.Network);
        var networks = new List<(double Fraction, TrainedNetwork Network, double Before, double After)> { (0, dense.Network, denseAccuracy, CompressionSuite.Accuracy(ml, denseFineTuned, test)) };
        foreach (var fraction in new[] { 0.3, 0.5, 0.7 })
        {
            var pruned = ml.Model.PruneUnits(dense.Network, new StructuredPruningOptions { Fraction = fraction, Criterion = PruningCriterion.L1Norm, Layers = ["2", "6"] });
            var fineTuned = Trainer(ml, "cnn", fineTuneEpochs, settings.CnnSeeds[0], settings).Fit(train, pruned);
            networks.Add((fraction, fineTuned.Network, OnnxThroughput.Accuracy(pruned, test), CompressionSuite.Accuracy(ml, fineTuned, test)));
            Console.WriteLine($"  {fraction:P0} of channels removed: {networks[^1].Before:F4} before fine-tuning, {networks[^1].After:F4} after");
        }
        var throughput = OnnxThroughput.Measure(networks.Select(n => n.Network).ToList(), [1, 64], rounds: 7, secondsPerMeasurement: 0.5);
        var runs = networks.Select((n, i) =>
        {
            var report = NetworkReport.Of(n.Network);
            return new ChannelPruningRun(n.Fraction, Describe(n.Network), report.Parameters, report.MultiplyAdds, n.Network.ToOnnx().Length, n.Before, n.After, throughput[i]);
        }).ToList();
        return new
        {
            FineTuneEpochs = fineTuneEpochs,
            Note = "Fraction 0 is the dense network; its TestAccuracyBeforeFineTuning is after its own epochs (others: the pruned network scored by ONNX Runtime before any fine-tuning) and TestAccuracy after the same extra fine-tuning epochs the pruned networks get. Throughput: ONNX Runtime 1.32 directly, one intra-op thread, a batched variant of TrainedNetwork.ToOnnx() (symbolic batch dimension) for batch 64, medians of alternating rounds.",
            Runs = runs,
        };
    }

    internal static DeepTrainer Trainer(MLContext ml, string network, int epochs, int seed, CompressionSettings settings)
    {
        if (network == "mlp")
            return ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions
            {
                HiddenLayerSizes = [256, 128], DropoutRate = 0, NumberOfEpochs = epochs, Seed = seed, BatchSize = settings.BatchSize, LearningRateSchedule = null,
                 EarlyStopping = null, ValidationFraction = 0, NumberOfThreads = settings.Threads,
            });
        return ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions
        {
            NumberOfEpochs = epochs, Seed = seed, BatchSize = settings.BatchSize, LearningRateSchedule = null,
             EarlyStopping = null, ValidationFraction = 0, NumberOfThreads = settings.Threads,
        });
    }

    private static string Describe(TrainedNetwork network) => string.Join(" → ", NetworkReport.Of(network).Layers
        .Where(l => l.Kind.StartsWith("Conv2d", StringComparison.Ordinal) || l.Kind.StartsWith("Linear", StringComparison.Ordinal)).Select(l => l.Kind));

    /// <summary>Runs the PyTorch script for every sparsity of one network and seed.</summary>
    private static List<JsonElement> PyTorchPruning(string network, int epochs, int start, int end, int seed, CompressionSettings settings)
    {
        var start_ = new ProcessStartInfo(PyTorchReference.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
                 {
                     Path.Combine(ProjectFolders.PyTorch, "prune_fashion_mnist.py"), FashionMnist.Folder, "--net", network, "--epochs", Invariant(epochs),
                     "--start", Invariant(start), "--end", Invariant(end), "--updates", "4", "--sparsities", "0," + string.Join(',', Sparsities.Select(s => s.ToString(CultureInfo.InvariantCulture))),
                     "--batch-size", Invariant(settings.BatchSize), "--threads", Invariant(settings.Threads), "--seed", Invariant(seed), "--train-rows", Invariant(settings.TrainRows),
                 })
            start_.ArgumentList.Add(argument);
        start_.Environment["MALLOC_MMAP_THRESHOLD_"] = Invariant(32 << 20);
        start_.Environment["MALLOC_TRIM_THRESHOLD_"] = Invariant(int.MaxValue);
        using var process = Process.Start(start_)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"prune_fashion_mnist.py failed: {error.Result}");
        using var json = JsonDocument.Parse(output);
        return json.RootElement.GetProperty("runs").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>ONNX Runtime throughput of a dense MLP and the same network 90% sparse (stored compactly, expanded at load): the encoding should cost nothing when scoring.</summary>
    private static object SparseOnnxCost(MLContext ml, IDataView train, CompressionSettings settings)
    {
        var dense = Trainer(ml, "mlp", 1, 1, settings).Fit(train);
        var sparse = ml.Model.PruneWeights(dense.Network, 0.9);
        var throughput = OnnxThroughput.Measure([dense.Network, sparse], [1, 64], rounds: 7, secondsPerMeasurement: 0.5);
        return new { DenseOnnxBytes = dense.Network.ToOnnx().Length, SparseOnnxBytes = sparse.ToOnnx().Length, Dense = throughput[0], Sparse90 = throughput[1] };
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
