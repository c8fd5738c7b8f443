using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Scoring throughput of trained networks in ONNX Runtime directly. <see cref="TrainedNetwork.ToOnnx(string)"/> takes one
/// example without a batch dimension (what ML.NET's scorer feeds); for batches this builds a variant with a symbolic batch
/// dimension: the input's Unsqueeze is dropped, reshapes that fixed the batch at 1 keep it free, and the graph ends at the
/// class probabilities.
/// </summary>
internal static class OnnxThroughput
{
    /// <summary>Median rows per second at each batch size.</summary>
    internal sealed record Result(Dictionary<int, double> RowsPerSecond);

    public static Result[] Measure(IReadOnlyList<TrainedNetwork> networks, int[] batches, int rounds, double secondsPerMeasurement)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        var sessions = networks.Select(n => new InferenceSession(Batched(n), options)).ToArray();
        try
        {
            var inputSize = (int)networks[0].Spec.InputShape[0];
            var samples = networks.Select(_ => batches.ToDictionary(b => b, _ => new List<double>())).ToArray();
            var random = new Random(1);
            foreach (var batch in batches)
            {
                var input = new DenseTensor<float>(Enumerable.Range(0, batch * inputSize).Select(_ => (float)random.NextDouble()).ToArray(), [batch, inputSize]);
                var inputs = new[] { NamedOnnxValue.CreateFromTensor("Features", input) };
                for (var round = 0; round < rounds; round++)
                {
                    // Alternating networks within a round, so that a busy moment of the shared machine hits all of them.
                    for (var n = 0; n < sessions.Length; n++)
                        samples[n][batch].Add(RowsPerSecond(sessions[n], inputs, batch, round == 0 ? 0.1 : secondsPerMeasurement));
                }
            }
            return samples.Select(s => new Result(s.ToDictionary(p => p.Key, p => Math.Round(Statistics.Median(p.Value.Skip(1)))))).ToArray();
        }
        finally
        {
            foreach (var session in sessions)
                session.Dispose();
        }
    }

    /// <summary>Test accuracy of a network scored by ONNX Runtime (before any ML.NET scoring chain exists for it).</summary>
    public static double Accuracy(TrainedNetwork network, IDataView test)
    {
        var features = test.GetColumn<float[]>("Features").ToArray();
        var labels = test.GetColumn<uint>("Label").Select(k => (int)k - 1).ToArray();
        using var session = new InferenceSession(Batched(network));
        var correct = 0;
        for (var start = 0; start < features.Length; start += 500)
        {
            var rows = features.Skip(start).Take(500).ToArray();
            var input = new DenseTensor<float>(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", input)]);
            var probabilities = results[0].AsTensor<float>();
            for (var i = 0; i < rows.Length; i++)
            {
                var best = 0;
                for (var c = 1; c < probabilities.Dimensions[1]; c++)
                    best = probabilities[i, c] > probabilities[i, best] ? c : best;
                correct += best == labels[start + i] ? 1 : 0;
            }
        }
        return Math.Round((double)correct / features.Length, 4);
    }

    /// <summary>The network's ONNX graph with a symbolic batch dimension, ending at the class probabilities [batch, classes].</summary>
    public static byte[] Batched(TrainedNetwork network)
    {
        var model = ModelProto.Parser.ParseFrom(network.ToOnnx());
        var graph = model.Graph;
        var input = graph.Input.Single();
        input.Type.TensorType.Shape.Dim.Insert(0, new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        var unsqueeze = graph.Node.Single(n => n.OpType == "Unsqueeze" && n.Input[0] == input.Name);
        graph.Node.Remove(unsqueeze);
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == unsqueeze.Output[0])
                    node.Input[i] = input.Name;
            }
        }
        var constants = graph.Initializer.ToDictionary(t => t.Name);
        foreach (var reshape in graph.Node.Where(n => n.OpType == "Reshape"))
        {
            if (constants.TryGetValue(reshape.Input[1], out var shape) && shape.Int64Data.Count > 1 && shape.Int64Data[0] == 1)
                shape.Int64Data[0] = -1;
        }
        var softmax = graph.Node.Single(n => n.OpType == "Softmax");
        var head = graph.Node.Where(n => n.Input.Contains(softmax.Output[0]) || n.OpType == "ArgMax").ToList();
        foreach (var node in head)
            graph.Node.Remove(node);
        var used = graph.Node.SelectMany(n => n.Input).ToHashSet();
        foreach (var unused in graph.Initializer.Where(t => !used.Contains(t.Name)).ToList())
            graph.Initializer.Remove(unused);
        graph.Output.Clear();
        var classes = network.ClassCount;
        var output = new ValueInfoProto { Name = softmax.Output[0], Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() } } };
        output.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        output.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = classes });
        graph.Output.Add(output);
        return model.ToByteArray();
    }

    private static double RowsPerSecond(InferenceSession session, NamedOnnxValue[] inputs, int batch, double seconds)
    {
        var watch = Stopwatch.StartNew();
        var calls = 0;
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            using var results = session.Run(inputs);
            calls++;
        }
        return calls * batch / watch.Elapsed.TotalSeconds;
    }
}
