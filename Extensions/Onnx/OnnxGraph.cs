using System.Runtime.InteropServices;
using Google.Protobuf;
using MlNetDeep.Networks;
using Onnx;

namespace MlNetDeep.Onnx;

/// <summary>Builds an ONNX graph node by node, adding each named weight as an initializer the first time it is used.</summary>
internal sealed class OnnxGraph
{
    public const int OpsetVersion = 17;
    private const long IrVersion = 8;

    private readonly GraphProto graph = new() { Name = "mlnetdeep" };
    private readonly IReadOnlyDictionary<string, WeightTensor> weights;
    private readonly HashSet<string> initializers = new(StringComparer.Ordinal);
    private int nextName;

    public OnnxGraph(IReadOnlyDictionary<string, WeightTensor> weights) => this.weights = weights;

    /// <summary>
    /// Adds the named network weight as an initializer (once) and returns its name; a weight that is mostly zeros is
    /// stored compactly and expanded by constant nodes (<see cref="SparseWeightEncoding"/>).
    /// </summary>
    public string Initializer(string weightName)
    {
        if (!weights.TryGetValue(weightName, out var weight))
            throw new InvalidOperationException($"The network has no weight '{weightName}' to export.");
        if (!initializers.Add(weightName))
            return weightName;
        if (SparseWeightEncoding.Encode(weight.Values) is { } sparse)
            SparseWeightEncoding.Emit(graph, weightName, weight.Shape, sparse, NewName);
        else
            graph.Initializer.Add(FloatTensor(weightName, weight.Shape, weight.Values));
        return weightName;
    }

    /// <summary>Adds a float scalar constant and returns its name.</summary>
    public string Constant(float value)
    {
        var name = NewName("const");
        graph.Initializer.Add(FloatTensor(name, [], [value]));
        return name;
    }

    /// <summary>Adds a float tensor constant and returns its name.</summary>
    public string Constant(long[] shape, float[] values)
    {
        var name = NewName("const");
        graph.Initializer.Add(FloatTensor(name, shape, values));
        return name;
    }

    /// <summary>Adds an int64 vector constant (shapes, axes) and returns its name.</summary>
    public string Constant(params long[] values)
    {
        var name = NewName("const");
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's (generated) name.</summary>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes)
    {
        var output = NewName(opType.ToLowerInvariant());
        Node(opType, inputs, [output], attributes);
        return output;
    }

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs and returns their (generated) names.</summary>
    public string[] Node(string opType, string[] inputs, int outputCount, params AttributeProto[] attributes)
    {
        var outputs = Enumerable.Range(0, outputCount).Select(_ => NewName(opType.ToLowerInvariant())).ToArray();
        Node(opType, inputs, outputs, attributes);
        return outputs;
    }

    /// <summary>Adds a node with the given output names.</summary>
    public void Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NewName("node_" + opType) };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
    }

    public void Input(string name, TensorProto.Types.DataType type, params long[] dims) => graph.Input.Add(ValueInfo(name, type, dims));

    public void Output(string name, TensorProto.Types.DataType type, params long[] dims) => graph.Output.Add(ValueInfo(name, type, dims));

    public ModelProto ToModel(IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto { IrVersion = IrVersion, ProducerName = "MlNetDeep", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        foreach (var (key, value) in metadata)
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attribute(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    private string NewName(string prefix) => $"{prefix}_{nextName++}";

    private static TensorProto FloatTensor(string name, long[] shape, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(shape);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long[] dims)
    {
        var shape = new TensorShapeProto();
        // A negative dimension is symbolic: the length of a variable-length sequence.
        foreach (var dim in dims)
            shape.Dim.Add(dim >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = dim } : new TensorShapeProto.Types.Dimension { DimParam = "sequence_length" });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
