using Onnx;

namespace MlNetDeep.Quantization;

/// <summary>
/// Dynamic quantization: every selected Gemm and weight MatMul becomes DynamicQuantizeLinear (the input to uint8 with its
/// own range, at run time) → MatMulInteger with constant int8 weights → Cast → Mul by both scales (→ Add the bias), the
/// pattern ONNX Runtime fuses into its DynamicQuantizeMatMul kernel. Convolutions stay in float.
/// </summary>
internal static class DynamicQuantizer
{
    public static void Quantize(GraphEditor graph, IEnumerable<QuantizableLayer> layers, WeightGranularity granularity)
    {
        foreach (var layer in layers.Where(l => l.Node.OpType is "Gemm" or "MatMul"))
        {
            var node = layer.Node;
            var weight = graph.Initializer(layer.WeightName)!;
            var (outputs, inputs) = ((int)weight.Dims[0], (int)weight.Dims[1]);
            // Gemm(transB=1) and MatMul(x, Transpose(W)) both compute x·Wᵀ with W [out, in]; MatMulInteger takes [in, out].
            var (values, scales) = WeightQuantizer.Quantize(GraphEditor.Floats(weight), outputs, granularity);
            var columns = new sbyte[values.Length];
            for (var o = 0; o < outputs; o++)
            {
                for (var i = 0; i < inputs; i++)
                    columns[i * outputs + o] = values[o * inputs + i];
            }
            var perColumn = scales.Length > 1;
            long[] scaleDims = perColumn ? [outputs] : [];
            var weightName = graph.AddInitializer(GraphEditor.Int8Tensor(graph.NewName(layer.Name + ".weight_int8"), [inputs, outputs], columns));
            var zeroName = graph.AddInitializer(GraphEditor.Int8Tensor(graph.NewName(layer.Name + ".weight_zero_point"), scaleDims, new sbyte[scales.Length]));
            var scaleName = graph.AddInitializer(GraphEditor.FloatTensor(graph.NewName(layer.Name + ".weight_scale"), scaleDims, scales));

            var position = graph.Graph.Node.IndexOf(node);
            var (quantized, inputScale, inputZero) = (graph.NewName(layer.Name + "_input_uint8"), graph.NewName(layer.Name + "_input_scale"), graph.NewName(layer.Name + "_input_zero_point"));
            var last = graph.AddNode(position > 0 ? graph.Graph.Node[position - 1] : null, "DynamicQuantizeLinear", [node.Input[0]], [quantized, inputScale, inputZero]);
            var product = graph.NewName(layer.Name + "_int32");
            last = graph.AddNode(last, "MatMulInteger", [quantized, weightName, inputZero, zeroName], [product]);
            var asFloat = graph.NewName(layer.Name + "_float");
            last = graph.AddNode(last, "Cast", [product], [asFloat], new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float });
            var scale = graph.NewName(layer.Name + "_scale");
            last = graph.AddNode(last, "Mul", [inputScale, scaleName], [scale]);
            var hasBias = node.OpType == "Gemm" && node.Input.Count > 2;
            var scaled = hasBias ? graph.NewName(layer.Name + "_scaled") : node.Output[0];
            last = graph.AddNode(last, "Mul", [asFloat, scale], [scaled]);
            if (hasBias)
                graph.AddNode(last, "Add", [scaled, node.Input[2]], [node.Output[0]]);
            graph.Graph.Node.Remove(node);
        }
        RemoveUnreadNodes(graph);
        graph.RemoveUnusedInitializers();
    }

    /// <summary>Drops nodes whose outputs nothing reads any more (the Transposes of quantized MatMul weights).</summary>
    private static void RemoveUnreadNodes(GraphEditor graph)
    {
        bool removed;
        do
        {
            var read = graph.Graph.Node.SelectMany(n => n.Input).Concat(graph.Graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
            var unread = graph.Graph.Node.Where(n => n.Output.All(o => !read.Contains(o))).ToArray();
            foreach (var node in unread)
                graph.Graph.Node.Remove(node);
            removed = unread.Length > 0;
        }
        while (removed);
    }
}
