using Onnx;

namespace MlNetDeep.Quantization;

/// <summary>
/// Folds each BatchNormalization that directly follows a Conv or Gemm (read by nothing else) into that layer's weights and
/// bias — the same arithmetic in inference mode — so the layer can be quantized as one: quantizing across a separate
/// normalization would leave it to run in float between two quantized tensors.
/// </summary>
internal static class BatchNormFolding
{
    public static void Fold(GraphEditor graph)
    {
        foreach (var norm in graph.Graph.Node.Where(n => n.OpType == "BatchNormalization").ToArray())
        {
            var layer = graph.Producer(norm.Input[0]);
            if (layer is null || layer.OpType is not ("Conv" or "Gemm") || graph.Consumers(norm.Input[0]).Length != 1 || graph.IsGraphOutput(norm.Input[0]))
                continue;
            if (layer.OpType == "Gemm" && (GraphEditor.Int(layer, "transB", 0) != 1 || GraphEditor.Int(layer, "transA", 0) != 0))
                continue;
            var weight = graph.Initializer(layer.Input[1]);
            var (gamma, beta, mean, variance) = (graph.Initializer(norm.Input[1]), graph.Initializer(norm.Input[2]), graph.Initializer(norm.Input[3]), graph.Initializer(norm.Input[4]));
            if (weight is null || gamma is null || beta is null || mean is null || variance is null)
                continue;
            var epsilon = GraphEditor.Float(norm, "epsilon", 1e-5f);
            var (g, b, m, v) = (GraphEditor.Floats(gamma), GraphEditor.Floats(beta), GraphEditor.Floats(mean), GraphEditor.Floats(variance));
            var channels = g.Length;
            var w = GraphEditor.Floats(weight);
            var perChannel = w.Length / channels;
            var bias = layer.Input.Count > 2 && graph.Initializer(layer.Input[2]) is { } given ? GraphEditor.Floats(given) : new float[channels];
            var foldedWeight = new float[w.Length];
            var foldedBias = new float[channels];
            for (var c = 0; c < channels; c++)
            {
                var scale = g[c] / MathF.Sqrt(v[c] + epsilon);
                for (var i = 0; i < perChannel; i++)
                    foldedWeight[c * perChannel + i] = w[c * perChannel + i] * scale;
                foldedBias[c] = (bias[c] - m[c]) * scale + b[c];
            }
            var weightName = graph.AddInitializer(GraphEditor.FloatTensor(graph.NewName(layer.Input[1] + "_folded"), weight.Dims.ToArray(), foldedWeight));
            var biasName = graph.AddInitializer(GraphEditor.FloatTensor(graph.NewName(layer.Input[1] + "_folded_bias"), [channels], foldedBias));
            layer.Input[1] = weightName;
            if (layer.Input.Count > 2)
                layer.Input[2] = biasName;
            else
                layer.Input.Add(biasName);
            layer.Output[0] = norm.Output[0];
            graph.Graph.Node.Remove(norm);
        }
        graph.RemoveUnusedInitializers();
    }
}
