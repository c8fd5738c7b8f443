using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetDeep.Networks;
using MlNetDeep.Tasks;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

/// <summary>Small seeded sequence problems whose answer needs memory of earlier steps, and checks shared by the sequence tests.</summary>
internal static class SequenceTestData
{
    public const int Steps = 12;

    /// <summary>Univariate sequences of 12 values in [-1, 1]; the label says whether the first value exceeds the last.</summary>
    public static BinarySequence[] FirstAboveLast(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var values = Enumerable.Range(0, Steps).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new BinarySequence { Label = values[0] > values[^1], Features = values };
        }).ToArray();
    }

    /// <summary>Univariate sequences of 12 values in [-1, 1]; the label is the first value (it must be carried through the sequence).</summary>
    public static RegressionSequence[] RecallFirst(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var values = Enumerable.Range(0, Steps).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new RegressionSequence { Label = values[0], Features = values };
        }).ToArray();
    }

    private static readonly string[] Filler = ["the", "a", "movie", "plot", "was", "it", "and", "very", "quite", "film", "story", "acting", "i", "found", "this", "so"];

    /// <summary>Texts of 3 to 14 filler words with one sentiment word somewhere: "great"/"excellent" (positive) or "awful"/"poor".</summary>
    public static TextExample[] Reviews(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var positive = i % 2 == 0;
            var words = Enumerable.Range(0, random.Next(3, 15)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), positive ? (random.Next(2) == 0 ? "great" : "excellent") : (random.Next(2) == 0 ? "awful" : "poor"));
            return new TextExample { Text = string.Join(' ', words), Label = positive };
        }).ToArray();
    }

    /// <summary>Words → keys, as a text pipeline would: the tokenizer and the key mapping fitted on <paramref name="fitOn"/>.</summary>
    public static ITransformer TokenPipeline(MLContext ml, IDataView fitOn) => TokenPipelineEstimator(ml).Fit(fitOn);

    /// <summary>TokenizeIntoWords (Text → Tokens) then MapValueToKey (Tokens → Features).</summary>
    public static IEstimator<ITransformer> TokenPipelineEstimator(MLContext ml) =>
        ml.Transforms.Text.TokenizeIntoWords("Tokens", "Text").Append(ml.Transforms.Conversion.MapValueToKey("Features", "Tokens"));

    /// <summary>
    /// Checks that the exported ONNX graph (one example, its own length) computes what the TorchSharp module computes, within
    /// 1e-5, for randomly initialized weights of <paramref name="spec"/> (whose output is one value).
    /// </summary>
    public static void AssertOnnxMatchesTorchSharp(NetworkSpec spec, IEnumerable<float[]> examples)
    {
        manual_seed(7);
        using var module = spec.CreateModule();
        module.eval();
        var network = new TrainedNetwork(spec, WeightTensor.ReadAll(module), RegressionTask.Instance, 0);
        using var session = new InferenceSession(network.ToOnnx("Features"));
        var variableLength = spec.InputShape[0] < 0;
        foreach (var example in examples)
        {
            using var scope = NewDisposeScope();
            var expected = module.forward(tensor(example).unsqueeze(0)).data<float>()[0];
            int[] shape = variableLength ? [1, example.Length] : [example.Length];
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(example, shape))]);
            var actual = results.Single().AsEnumerable<float>().Single();
            Assert.AreEqual(expected, actual, 1e-5f, $"example [{string.Join(", ", example.Take(6))}…]");
        }
    }

    /// <summary>Random sequences of <paramref name="size"/> values, or token keys 0…<paramref name="keyCount"/> of lengths 1…size when keyCount &gt; 0.</summary>
    public static float[][] RandomExamples(int count, int size, int keyCount = 0, int seed = 5)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => keyCount > 0
            ? Enumerable.Range(0, 1 + i % size).Select(_ => (float)random.Next(keyCount + 1)).ToArray()
            : Enumerable.Range(0, size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
    }
}

internal sealed class BinarySequence
{
    public bool Label { get; set; }

    [VectorType(SequenceTestData.Steps)]
    public float[] Features { get; set; } = [];
}

internal sealed class RegressionSequence
{
    public float Label { get; set; }

    [VectorType(SequenceTestData.Steps)]
    public float[] Features { get; set; } = [];
}

internal sealed class TextExample
{
    public string Text { get; set; } = "";

    public bool Label { get; set; }
}
