using Onnx;

namespace MlNetDeep.Quantization;

/// <summary>
/// Static quantization in ONNX's QDQ form. Each selected Conv or Gemm reads its input through QuantizeLinear →
/// DequantizeLinear (uint8, the calibrated range) and its int8 weights and int32 bias through DequantizeLinear; its output,
/// and the output of every ReLU, pooling, flattening or residual Add whose inputs are all quantized, gets a
/// QuantizeLinear → DequantizeLinear pair read by all its consumers. ONNX Runtime fuses DQ → op → Q into QLinearConv,
/// QGemm, QLinearAdd and int8 pooling only when the op's output is quantized too, which this placement ensures.
/// </summary>
internal static class StaticQuantizer
{
    private static readonly HashSet<string> PassingOps = ["Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Add"];

    // Operators that only select or move values: their output keeps their input's scale and zero point, so ONNX Runtime
    // can drop the pair between them instead of requantizing.
    private static readonly HashSet<string> ValuePreservingOps = ["MaxPool", "Flatten"];

    /// <summary>
    /// The activation tensors <paramref name="layers"/> need ranges for, in graph order, each with the tensor whose range it
    /// shares (itself, or the input of a value-preserving operator), and the edges among them: the tensors that come into
    /// the quantized region from float operators (the network's standardized input) or leave it for float ones (the logits).
    /// </summary>
    public static (List<string> Tensors, Dictionary<string, string> RangeOf, HashSet<string> Edges) TensorsToCalibrate(GraphEditor graph, IReadOnlyCollection<QuantizableLayer> layers)
    {
        var selected = layers.Where(l => l.Node.OpType is "Conv" or "Gemm").Select(l => l.Node).ToHashSet();
        var tensors = new List<string>();
        var rangeOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var edges = new HashSet<string>(StringComparer.Ordinal);
        var quantized = new HashSet<string>(StringComparer.Ordinal);
        var fusedRelus = new HashSet<NodeProto>();
        foreach (var node in graph.Graph.Node)
        {
            if (selected.Contains(node))
            {
                if (!quantized.Contains(node.Input[0]))
                    edges.Add(node.Input[0]);
                Mark(node.Input[0]);
                // A layer followed only by ReLU is quantized after the ReLU (fused into QLinearConv/QGemm): the uint8 range
                // then spends no levels on negative values that ReLU discards.
                if (graph.Consumers(node.Output[0]) is [{ OpType: "Relu" } relu] && !graph.IsGraphOutput(node.Output[0]))
                    fusedRelus.Add(relu);
                else
                    Mark(node.Output[0]);
            }
            else if (fusedRelus.Contains(node)
                     || (PassingOps.Contains(node.OpType) && node.Input.Where(i => graph.Initializer(i) is null).All(quantized.Contains)))
            {
                Mark(node.Output[0], ValuePreservingOps.Contains(node.OpType) ? rangeOf[node.Input[0]] : null);
            }
        }
        var consumed = graph.Graph.Node.Where(n => !selected.Contains(n) && !fusedRelus.Contains(n) && !PassingOps.Contains(n.OpType)).SelectMany(n => n.Input);
        edges.UnionWith(consumed.Where(quantized.Contains).Select(t => rangeOf[t]));
        return (tensors, rangeOf, edges);

        void Mark(string tensor, string? sharesRangeOf = null)
        {
            if (!quantized.Add(tensor))
                return;
            tensors.Add(tensor);
            rangeOf[tensor] = sharesRangeOf ?? tensor;
        }
    }

    public static void Quantize(GraphEditor graph, IReadOnlyCollection<QuantizableLayer> layers, IReadOnlyDictionary<string, string> rangeOf,
        IReadOnlyDictionary<string, (float Min, float Max)> ranges, WeightGranularity granularity)
    {
        var activations = rangeOf.ToDictionary(r => r.Key, r => Activation(ranges[r.Value].Min, ranges[r.Value].Max));
        foreach (var layer in layers.Where(l => l.Node.OpType is "Conv" or "Gemm"))
        {
            var node = layer.Node;
            var weight = graph.Initializer(layer.WeightName)!;
            var channels = (int)weight.Dims[0];
            var (values, scales) = WeightQuantizer.Quantize(GraphEditor.Floats(weight), channels, granularity);
            var perChannel = scales.Length > 1;
            long[] scaleDims = perChannel ? [channels] : [];
            var axis = GraphEditor.Attribute("axis", 0);
            var weightInt8 = graph.AddInitializer(GraphEditor.Int8Tensor(graph.NewName(layer.Name + ".weight_int8"), weight.Dims.ToArray(), values));
            var weightScale = graph.AddInitializer(GraphEditor.FloatTensor(graph.NewName(layer.Name + ".weight_scale"), scaleDims, scales));
            var weightZero = graph.AddInitializer(GraphEditor.Int8Tensor(graph.NewName(layer.Name + ".weight_zero_point"), scaleDims, new sbyte[scales.Length]));
            var weightFloat = graph.NewName(layer.Name + ".weight_dequantized");
            graph.AddNode(null, "DequantizeLinear", [weightInt8, weightScale, weightZero], [weightFloat], perChannel ? [axis] : []);
            node.Input[1] = weightFloat;

            if (node.Input.Count > 2 && graph.Initializer(node.Input[2]) is { } bias)
            {
                // The bias in int32 at the product of the input and weight scales, as QLinearConv and QGemm add it.
                var inputScale = activations[node.Input[0]].Scale;
                var biasScales = Enumerable.Range(0, channels).Select(c => inputScale * scales[perChannel ? c : 0]).ToArray();
                var biasInt32 = GraphEditor.Floats(bias).Select((b, c) => (int)Math.Clamp(MathF.Round(b / biasScales[c]), int.MinValue, int.MaxValue)).ToArray();
                var biasName = graph.AddInitializer(GraphEditor.Int32Tensor(graph.NewName(layer.Name + ".bias_int32"), [channels], biasInt32));
                var biasScale = graph.AddInitializer(GraphEditor.FloatTensor(graph.NewName(layer.Name + ".bias_scale"), [channels], biasScales));
                var biasZero = graph.AddInitializer(GraphEditor.Int32Tensor(graph.NewName(layer.Name + ".bias_zero_point"), [channels], new int[channels]));
                var biasFloat = graph.NewName(layer.Name + ".bias_dequantized");
                graph.AddNode(null, "DequantizeLinear", [biasName, biasScale, biasZero], [biasFloat], axis);
                node.Input[2] = biasFloat;
            }
        }

        foreach (var (tensor, activation) in activations)
        {
            var producer = graph.Producer(tensor);
            var scale = graph.AddInitializer(GraphEditor.FloatTensor(graph.NewName(tensor + "_scale"), [], [activation.Scale]));
            var zero = graph.AddInitializer(GraphEditor.UInt8Tensor(graph.NewName(tensor + "_zero_point"), [], [activation.ZeroPoint]));
            var (quantized, dequantized) = (graph.NewName(tensor + "_uint8"), graph.NewName(tensor + "_dequantized"));
            var quantize = graph.AddNode(producer, "QuantizeLinear", [tensor, scale, zero], [quantized]);
            var dequantize = graph.AddNode(quantize, "DequantizeLinear", [quantized, scale, zero], [dequantized]);
            graph.Rewire(tensor, dequantized, n => n != quantize && n != dequantize);
        }
        graph.RemoveUnusedInitializers();
    }

    /// <summary>uint8 scale and zero point of a range widened to hold 0, so that zero (ReLU's floor, padding) is exact.</summary>
    private static (float Scale, byte ZeroPoint) Activation(float min, float max)
    {
        var (low, high) = (MathF.Min(min, 0), MathF.Max(max, 0));
        var scale = high > low ? (high - low) / 255 : 1;
        return (scale, (byte)Math.Clamp(MathF.Round(-low / scale), 0, 255));
    }
}
