using System.Runtime.InteropServices;
using Google.Protobuf;
using MlNetDeep.Networks;
using Onnx;

namespace MlNetDeep.Onnx;

/// <summary>
/// Stores a weight that is mostly zeros (a pruned or sparsely trained layer) as its non-zero values and the gaps between
/// their positions, one byte each, and expands it in the graph: Cast → CumSum gives the positions, ScatterElements puts
/// the values into ConstantOfShape's zeros, Reshape restores the shape. Every input of those nodes is constant, so ONNX
/// Runtime folds them into a dense initializer when it loads the model: scoring runs as fast as with dense weights,
/// while the file (and model.zip) shrinks with sparsity. <see cref="TrainedNetwork.FromOnnx"/> reads the weights back.
/// </summary>
internal static class SparseWeightEncoding
{
    private const string ValuesSuffix = ".nonzero_values";
    private const string GapsSuffix = ".nonzero_gaps";
    private const string ShapeSuffix = ".dense_shape";

    /// <summary>Encodes only weights of at least this many values: below it the extra nodes outweigh the savings.</summary>
    private const int MinimumSize = 256;

    /// <summary>The largest gap one byte holds; a longer run of zeros gets an explicit zero entry every this many positions.</summary>
    private const int MaximumGap = byte.MaxValue;

    /// <summary>The entries (non-zero values and the zero fillers long gaps need) of <paramref name="values"/>, or null when storing them would not save a fifth of the dense bytes.</summary>
    public static (float[] Values, byte[] Gaps)? Encode(float[] values)
    {
        if (values.Length < MinimumSize)
            return null;
        var entries = new List<float>();
        var gaps = new List<byte>();
        var previous = -1;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] == 0f)
                continue; // +0 and -0 alike
            while (i - previous > MaximumGap)
            {
                previous += MaximumGap;
                entries.Add(0f);
                gaps.Add(MaximumGap);
            }
            entries.Add(values[i]);
            gaps.Add((byte)(i - previous));
            previous = i;
            // Bytes per stored entry: 4 for the value, 1 for the gap.
            if (entries.Count * 5L > values.Length * 4L * 4 / 5)
                return null;
        }
        return (entries.ToArray(), gaps.ToArray());
    }

    /// <summary>Adds the encoded weight <paramref name="name"/> to <paramref name="graph"/>: its entries as initializers and the nodes that expand them into a tensor of that name.</summary>
    public static void Emit(GraphProto graph, string name, long[] shape, (float[] Values, byte[] Gaps) encoded, Func<string, string> newName)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        graph.Initializer.Add(Tensor(name + ValuesSuffix, TensorProto.Types.DataType.Float, [encoded.Values.Length], MemoryMarshal.AsBytes(encoded.Values.AsSpan())));
        graph.Initializer.Add(Tensor(name + GapsSuffix, TensorProto.Types.DataType.Uint8, [encoded.Gaps.Length], encoded.Gaps));
        var shapeTensor = new TensorProto { Name = name + ShapeSuffix, DataType = (int)TensorProto.Types.DataType.Int64 };
        shapeTensor.Dims.Add(shape.Length);
        shapeTensor.Int64Data.Add(shape);
        graph.Initializer.Add(shapeTensor);
        var flatSize = Int64Constant(graph, newName("const"), count);
        var axis = Int64Constant(graph, newName("const"), 0);
        var one = Int64Constant(graph, newName("const"), 1);
        var (wideGaps, positionsPlusOne, positions, zeros, flat) = (newName("cast"), newName("cumsum"), newName("sub"), newName("constantofshape"), newName("scatterelements"));
        Add(graph, newName, "Cast", [name + GapsSuffix], wideGaps, new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Int64 });
        Add(graph, newName, "CumSum", [wideGaps, axis], positionsPlusOne);
        Add(graph, newName, "Sub", [positionsPlusOne, one], positions);
        Add(graph, newName, "ConstantOfShape", [flatSize], zeros, new AttributeProto
        {
            Name = "value", Type = AttributeProto.Types.AttributeType.Tensor,
            T = Tensor("zero", TensorProto.Types.DataType.Float, [1], new byte[4]),
        });
        Add(graph, newName, "ScatterElements", [zeros, positions, name + ValuesSuffix], flat, new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        Add(graph, newName, "Reshape", [flat, name + ShapeSuffix], name);
    }

    /// <summary>Replaces every encoded weight's initializers in <paramref name="weights"/> (read as plain float tensors) by the dense weight.</summary>
    public static void Decode(GraphProto graph, Dictionary<string, WeightTensor> weights)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var valuesName in initializers.Keys.Where(n => n.EndsWith(ValuesSuffix, StringComparison.Ordinal)).ToArray())
        {
            var name = valuesName[..^ValuesSuffix.Length];
            if (!initializers.TryGetValue(name + GapsSuffix, out var gaps) || !initializers.TryGetValue(name + ShapeSuffix, out var shapeTensor))
                throw new InvalidDataException($"The sparse weight '{name}' lacks its positions or shape.");
            var entries = weights[valuesName].Values;
            var shape = shapeTensor.Int64Data.ToArray();
            var dense = new float[shape.Aggregate(1L, (a, b) => a * b)];
            var gapBytes = gaps.RawData.Span;
            if (gapBytes.Length != entries.Length)
                throw new InvalidDataException($"The sparse weight '{name}' has {entries.Length} values but {gapBytes.Length} positions.");
            var position = -1L;
            for (var i = 0; i < entries.Length; i++)
            {
                position += gapBytes[i];
                if (position >= dense.LongLength)
                    throw new InvalidDataException($"The sparse weight '{name}' has a position beyond its shape [{string.Join(", ", shape)}].");
                dense[position] = entries[i];
            }
            weights.Remove(valuesName);
            weights[name] = new WeightTensor(shape, dense);
        }
    }

    private static string Int64Constant(GraphProto graph, string name, long value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(1);
        tensor.Int64Data.Add(value);
        graph.Initializer.Add(tensor);
        return name;
    }

    private static void Add(GraphProto graph, Func<string, string> newName, string opType, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = newName("node_" + opType) };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
    }

    private static TensorProto Tensor(string name, TensorProto.Types.DataType type, long[] dims, ReadOnlySpan<byte> bytes)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.Add(dims);
        tensor.RawData = ByteString.CopyFrom(bytes);
        return tensor;
    }
}
