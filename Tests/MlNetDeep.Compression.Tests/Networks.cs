using Microsoft.ML;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Compression.Tests;

/// <summary>Runs trained networks directly in TorchSharp, and reads their weights, for tests that compare networks.</summary>
internal static class Networks
{
    /// <summary>The raw outputs of <paramref name="network"/> (inference mode) for <paramref name="rows"/>.</summary>
    public static float[][] Outputs(TrainedNetwork network, float[][] rows) => Outputs(network.Spec, network.Weights, rows);

    public static float[][] Outputs(NetworkSpec spec, IReadOnlyDictionary<string, WeightTensor> weights, float[][] rows)
    {
        using var module = spec.CreateModule();
        WeightTensor.LoadAll(module, weights);
        module.eval();
        using var noGrad = no_grad();
        using var input = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
        using var output = module.forward(input);
        var width = (int)output.shape[1];
        var values = output.data<float>().ToArray();
        return Enumerable.Range(0, rows.Length).Select(i => values.AsSpan(i * width, width).ToArray()).ToArray();
    }

    /// <summary>A network of <paramref name="layers"/> with libtorch's random initialization (seeded).</summary>
    public static TrainedNetwork Random(long[] inputShape, int classCount, params LayerSpec[] layers)
    {
        var spec = new NetworkSpec(inputShape, layers);
        manual_seed(5);
        using var module = spec.CreateModule();
        return new TrainedNetwork(spec, WeightTensor.ReadAll(module), Tasks.MulticlassTask.Instance, classCount);
    }

    public static float[][] Features(IDataView data, int rows) => data.GetColumn<float[]>("Features").Take(rows).ToArray();

    /// <summary>The fraction of zeros among the prunable weights (matrices and kernels).</summary>
    public static double Sparsity(TrainedNetwork network)
    {
        var prunable = network.Weights.Where(w => PrunableWeights.IsPrunable(w.Key, w.Value.Shape)).Select(w => w.Value.Values).ToList();
        return (double)prunable.Sum(v => v.Count(x => x == 0)) / prunable.Sum(v => v.Length);
    }

    public static void AssertClose(float[][] expected, float[][] actual, float tolerance = 1e-5f)
    {
        Assert.HasCount(expected.Length, actual);
        for (var row = 0; row < expected.Length; row++)
        {
            Assert.HasCount(expected[row].Length, actual[row]);
            for (var i = 0; i < expected[row].Length; i++)
                Assert.AreEqual(expected[row][i], actual[row][i], tolerance, $"row {row}, output {i}");
        }
    }
}
