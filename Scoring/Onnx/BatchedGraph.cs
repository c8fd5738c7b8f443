using Google.Protobuf;
using Onnx;

namespace MlNetDeep.Scoring;

/// <summary>
/// The batched twin of an MlNetDeep ONNX graph. MlNetDeep exports a network for ML.NET's scorer as one example without a
/// batch dimension: input <c>[F]</c>, an Unsqueeze to <c>[1, F]</c>, layers that copy the batch dimension (Reshape 0,
/// Shape, Expand), and outputs reshaped to <c>[K]</c> (ArgMax to <c>[1]</c>). Dropping the Unsqueeze, declaring the input
/// <c>[N, F]</c> and reshaping the outputs to <c>[-1, K]</c> gives the same network for N examples at once.
/// </summary>
internal sealed class BatchedGraph
{
    private const string NetworkMetadataKey = "mlnetdeep.network";
    private const string BatchDimension = "N";

    private BatchedGraph(byte[] model, string inputName, int inputSize, IReadOnlyList<BatchedOutput> outputs)
    {
        Model = model;
        InputName = inputName;
        InputSize = inputSize;
        Outputs = outputs;
    }

    /// <summary>The batched ONNX model.</summary>
    public byte[] Model { get; }

    /// <summary>The input's name (the ML.NET column the single-example graph reads).</summary>
    public string InputName { get; }

    /// <summary>Values per example of the (float) input.</summary>
    public int InputSize { get; }

    /// <summary>The outputs, in the graph's order, with their values per example.</summary>
    public IReadOnlyList<BatchedOutput> Outputs { get; }

    /// <summary>The batched twin of <paramref name="onnx"/>, or null (with the reason) when it is not a fixed-size MlNetDeep graph.</summary>
    public static BatchedGraph? TryCreate(byte[] onnx, out string? reason)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var graph = model.Graph;
        reason = null;
        if (!model.MetadataProps.Any(p => p.Key == NetworkMetadataKey))
            return Fail("it was not exported by MlNetDeep", out reason);
        var initializerNames = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).ToArray();
        if (inputs.Length != 1 || inputs[0].Type.TensorType.ElemType != (int)TensorProto.Types.DataType.Float)
            return Fail("it does not have exactly one float input", out reason);
        var input = inputs[0];
        var dims = input.Type.TensorType.Shape.Dim;
        if (dims.Any(d => d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue))
            return Fail("its input has a variable length (token sequences score one row at a time)", out reason);
        var unsqueeze = graph.Node.SingleOrDefault(n => n.OpType == "Unsqueeze" && n.Input.Count > 0 && n.Input[0] == input.Name);
        if (unsqueeze is null || graph.Node.Count(n => n.Input.Contains(input.Name)) != 1)
            return Fail("its input does not enter through one Unsqueeze", out reason);

        graph.Node.Remove(unsqueeze);
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == unsqueeze.Output[0])
                    node.Input[i] = input.Name;
            }
        }
        dims.Insert(0, new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });

        var outputs = new List<BatchedOutput>();
        foreach (var output in graph.Output)
        {
            var producer = graph.Node.Single(n => n.Output.Contains(output.Name));
            var shape = output.Type.TensorType.Shape.Dim;
            var perExample = (int)shape.Aggregate(1L, (size, d) => size * d.DimValue);
            if (producer.OpType == "Reshape")
            {
                var target = graph.Initializer.Single(t => t.Name == producer.Input[1]);
                var batched = new TensorProto { Name = target.Name + "_batched", DataType = target.DataType };
                batched.Dims.Add(target.Int64Data.Count + 1);
                batched.Int64Data.Add(-1);
                batched.Int64Data.Add(target.Int64Data);
                graph.Initializer.Add(batched);
                producer.Input[1] = batched.Name;
                shape.Insert(0, new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
            }
            else if (producer.OpType == "ArgMax" && perExample == 1)
            {
                // ArgMax over the classes without keepdims gives [N] for N examples, one index each.
                shape.Clear();
                shape.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
            }
            else
            {
                return Fail($"its output '{output.Name}' comes from a {producer.OpType} node, not a Reshape or ArgMax", out reason);
            }
            var elementType = (TensorProto.Types.DataType)output.Type.TensorType.ElemType;
            if (elementType is not (TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int64))
                return Fail($"its output '{output.Name}' holds {elementType}, not floats or int64s", out reason);
            outputs.Add(new BatchedOutput(output.Name, elementType, perExample));
        }
        // The Unsqueeze's axes and the replaced Reshape shapes are no longer read.
        var read = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var unused in graph.Initializer.Where(t => !read.Contains(t.Name)).ToArray())
            graph.Initializer.Remove(unused);
        var inputSize = (int)dims.Skip(1).Aggregate(1L, (size, d) => size * d.DimValue);
        return new BatchedGraph(model.ToByteArray(), input.Name, inputSize, outputs);
    }

    private static BatchedGraph? Fail(string why, out string? reason)
    {
        reason = why;
        return null;
    }
}

/// <summary>One output of a batched graph: its name, element type and values per example.</summary>
internal sealed record BatchedOutput(string Name, TensorProto.Types.DataType ElementType, int ValuesPerExample);
