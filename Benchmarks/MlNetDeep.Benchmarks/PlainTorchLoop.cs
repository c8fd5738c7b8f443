using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep.Benchmarks;

/// <summary>What one plain-loop run measured.</summary>
internal sealed record PlainRun(double[] EpochSeconds, double LastTrainLoss);

/// <summary>
/// The reference the trainer is timed against: the same MLP trained by a hand-written TorchSharp loop over cached
/// tensors, with the work any loop needs (shuffled batches, loss read back per batch, a dispose scope per batch) and nothing more.
/// </summary>
internal static class PlainTorchLoop
{
    public static PlainRun Train(TensorDataset data, int classCount, BenchmarkSettings settings, int epochs)
    {
        var (features, targets) = data;
        set_num_threads(settings.Threads);
        manual_seed(settings.Seed);
        using var network = Mlp(features.shape[1], settings.HiddenLayerSizes, classCount);
        // TorchSharp's Adam defaults beta2 to 0.99; the trainer and PyTorch use 0.999.
        using var optimizer = optim.Adam(network.parameters(), settings.LearningRate, beta1: 0.9, beta2: 0.999);
        using var generator = new Generator((ulong)settings.Seed);
        var count = features.shape[0];
        var epochSeconds = new double[epochs];
        var lastTrainLoss = 0.0;
        network.train();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            using var order = randperm(count, generator: generator);
            var lossSum = 0.0;
            for (long start = 0; start < count; start += settings.BatchSize)
            {
                using var scope = NewDisposeScope();
                var index = order.narrow(0, start, Math.Min(settings.BatchSize, count - start));
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(network.forward(features.index_select(0, index)), targets.index_select(0, index));
                lossSum += loss.item<float>() * index.shape[0];
                loss.backward();
                optimizer.step();
            }
            epochSeconds[epoch] = watch.Elapsed.TotalSeconds;
            lastTrainLoss = lossSum / count;
        }
        return new PlainRun(epochSeconds, lastTrainLoss);
    }

    private static nn.Module<Tensor, Tensor> Mlp(long inputSize, IReadOnlyList<int> hiddenLayerSizes, int classCount)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var width = inputSize;
        foreach (var size in hiddenLayerSizes)
        {
            layers.Add(($"linear{layers.Count}", nn.Linear(width, size)));
            layers.Add(($"relu{layers.Count}", nn.ReLU()));
            width = size;
        }
        layers.Add(("output", nn.Linear(width, classCount)));
        return nn.Sequential(layers);
    }
}
