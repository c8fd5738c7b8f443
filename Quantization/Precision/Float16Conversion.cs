using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MlNetDeep.Quantization;

/// <summary>
/// Rewrites an MlNetDeep graph to compute in fp16 while its inputs and outputs stay fp32: weights and constants are
/// stored as fp16, the input is cast once where it enters the network, float outputs are cast back before their final
/// reshape, so the graph keeps the shape the batched twin and ML.NET's ONNX scorer expect.
/// </summary>
internal static class Float16Conversion
{
    private static readonly HashSet<string> QuantizedOperators =
        ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "QLinearConv", "QLinearMatMul"];

    /// <summary>Operator inputs the ONNX specification types as fp32 whatever the data's type.</summary>
    private static readonly HashSet<(string Op, int Input)> Float32Inputs = [("Resize", 2), ("Upsample", 1)];

    /// <summary>Recurrent operators: ONNX Runtime 1.32's CPU provider crashes the process inside native code on their fp16 graphs.</summary>
    private static readonly HashSet<string> RecurrentOperators = ["GRU", "LSTM", "RNN"];

    /// <summary>Converts <paramref name="graph"/> in place.</summary>
    /// <param name="graph">The float graph.</param>
    /// <param name="weightsAsConstantNodes">
    /// Moves the fp16 weights from initializers into Constant nodes: ML.NET's ONNX scorer reads the type of every
    /// initializer and knows no fp16 one, while ONNX Runtime folds Constant nodes into the same weights.
    /// </param>
    public static void Convert(GraphEditor graph, bool weightsAsConstantNodes)
    {
        if (graph.Graph.Node.FirstOrDefault(n => QuantizedOperators.Contains(n.OpType)) is { } quantized)
            throw new ArgumentException($"The network is already quantized (it has a {quantized.OpType} node); convert the float model to fp16 instead.", "model");
        if (graph.Graph.Node.FirstOrDefault(n => RecurrentOperators.Contains(n.OpType)) is { } recurrent)
            throw new ArgumentException($"The network has a {recurrent.OpType} layer: ONNX Runtime 1.32 crashes on recurrent networks in fp16 on the CPU, so they stay fp32 (int8 dynamic quantization still applies to their dense layers).", "model");

        var keepFloat = graph.Graph.Node
            .SelectMany(n => n.Input.Select((tensor, i) => (n.OpType, i, tensor)))
            .Where(use => Float32Inputs.Contains((use.OpType, use.i)))
            .Select(use => use.tensor)
            .ToHashSet(StringComparer.Ordinal);

        foreach (var tensor in graph.Graph.Initializer.Where(t => t.DataType == (int)DataType.Float && !keepFloat.Contains(t.Name)).ToArray())
            ToFloat16(tensor);
        foreach (var declared in graph.Graph.Input.Where(i => graph.Initializer(i.Name) is { DataType: (int)DataType.Float16 }))
            declared.Type.TensorType.ElemType = (int)DataType.Float16;
        foreach (var node in graph.Graph.Node)
            ConstantsToFloat16(node);

        CastInput(graph);
        foreach (var output in graph.Graph.Output.Where(o => o.Type.TensorType.ElemType == (int)DataType.Float).ToArray())
            CastOutput(graph, output.Name);
        // Recorded intermediate types would still say fp32; ONNX Runtime infers them again.
        graph.Graph.ValueInfo.Clear();
        if (weightsAsConstantNodes)
            MoveIntoConstantNodes(graph);
    }

    private static void MoveIntoConstantNodes(GraphEditor graph)
    {
        foreach (var tensor in graph.Graph.Initializer.Where(t => t.DataType == (int)DataType.Float16).ToArray())
        {
            graph.Graph.Initializer.Remove(tensor);
            var declared = graph.Graph.Input.FirstOrDefault(i => i.Name == tensor.Name);
            if (declared is not null)
                graph.Graph.Input.Remove(declared);
            var node = new NodeProto { OpType = "Constant", Name = graph.NewName("constant"), Output = { tensor.Name } };
            node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
            graph.Graph.Node.Insert(0, node);
        }
    }

    private static void ConstantsToFloat16(NodeProto node)
    {
        switch (node.OpType)
        {
            case "Constant" or "ConstantOfShape":
                foreach (var attribute in node.Attribute.Where(a => a.T is { DataType: (int)DataType.Float }))
                    ToFloat16(attribute.T);
                if (node.OpType == "Constant" && node.Attribute.FirstOrDefault(a => a.Name is "value_float" or "value_floats") is { } scalar)
                {
                    var values = scalar.Name == "value_float" ? [scalar.F] : scalar.Floats.ToArray();
                    var tensor = GraphEditor.Float16Tensor("", scalar.Name == "value_float" ? [] : [values.Length], values.Select(v => (Half)v).ToArray());
                    node.Attribute.Remove(scalar);
                    node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
                }
                break;
            case "Cast" when node.Attribute.Single(a => a.Name == "to").I == (long)DataType.Float:
                node.Attribute.Single(a => a.Name == "to").I = (long)DataType.Float16;
                break;
        }
    }

    /// <summary>The input is cast after the Unsqueeze that gives it its batch axis (the batched twin removes that node).</summary>
    private static void CastInput(GraphEditor graph)
    {
        var initializers = graph.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var input in graph.Graph.Input.Where(i => !initializers.Contains(i.Name) && i.Type.TensorType.ElemType == (int)DataType.Float))
        {
            var consumers = graph.Consumers(input.Name);
            var entry = consumers is [{ OpType: "Unsqueeze" } unsqueeze] ? unsqueeze.Output[0] : input.Name;
            var anchor = entry == input.Name ? null : consumers[0];
            var cast = graph.NewName(entry + "_fp16");
            graph.Rewire(entry, cast, n => n != anchor);
            graph.AddNode(anchor, "Cast", [entry], [cast], GraphEditor.Attribute("to", (long)DataType.Float16));
        }
    }

    /// <summary>A float output is cast back to fp32 before the Reshape that produces it, or right where it is produced.</summary>
    private static void CastOutput(GraphEditor graph, string output)
    {
        var producer = graph.Producer(output) ?? throw new InvalidDataException($"The graph output '{output}' has no producing node.");
        var attribute = GraphEditor.Attribute("to", (long)DataType.Float);
        if (producer.OpType == "Reshape" && graph.Initializer(producer.Input[0]) is null)
        {
            var half = producer.Input[0];
            var cast = graph.NewName(half + "_fp32");
            producer.Input[0] = cast;
            graph.AddNode(graph.Producer(half), "Cast", [half], [cast], attribute);
            return;
        }
        var computed = graph.NewName(output + "_fp16");
        var index = producer.Output.IndexOf(output);
        producer.Output[index] = computed;
        graph.Rewire(output, computed, n => n != producer);
        graph.AddNode(producer, "Cast", [computed], [output], attribute);
    }

    private static void ToFloat16(TensorProto tensor)
    {
        var values = GraphEditor.Floats(tensor);
        var half = new Half[values.Length];
        for (var i = 0; i < values.Length; i++)
            half[i] = (Half)values[i];
        tensor.FloatData.Clear();
        tensor.DataType = (int)DataType.Float16;
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(half.AsSpan()));
    }
}
