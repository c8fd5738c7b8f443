using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace MlNetDeep.Quantization;

/// <summary>Edits an ONNX graph in place: finds producers and consumers, adds named tensors and nodes in topological order.</summary>
internal sealed class GraphEditor(ModelProto model)
{
    private int nextName;

    public ModelProto Model { get; } = model;

    public GraphProto Graph => Model.Graph;

    public TensorProto? Initializer(string name) => Graph.Initializer.FirstOrDefault(t => t.Name == name);

    public NodeProto? Producer(string tensor) => Graph.Node.FirstOrDefault(n => n.Output.Contains(tensor));

    public NodeProto[] Consumers(string tensor) => Graph.Node.Where(n => n.Input.Contains(tensor)).ToArray();

    public bool IsGraphOutput(string tensor) => Graph.Output.Any(o => o.Name == tensor);

    /// <summary>A name no tensor or node of the graph has.</summary>
    public string NewName(string stem)
    {
        string name;
        do
            name = $"{stem}_q{nextName++}";
        while (Graph.Initializer.Any(t => t.Name == name) || Graph.Node.Any(n => n.Output.Contains(name) || n.Name == name));
        return name;
    }

    public string AddInitializer(TensorProto tensor)
    {
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node right after <paramref name="anchor"/> (or first when null), keeping the order topological.</summary>
    public NodeProto AddNode(NodeProto? anchor, string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NewName("node_" + opType) };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        var at = anchor is null ? 0 : Graph.Node.IndexOf(anchor) + 1;
        Graph.Node.Insert(at, node);
        return node;
    }

    /// <summary>Makes every consumer of <paramref name="from"/> that <paramref name="where"/> selects read <paramref name="to"/> instead.</summary>
    public void Rewire(string from, string to, Func<NodeProto, bool> where)
    {
        foreach (var node in Graph.Node.Where(where))
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                    node.Input[i] = to;
            }
        }
    }

    public void RemoveUnusedInitializers()
    {
        var read = Graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var unused in Graph.Initializer.Where(t => !read.Contains(t.Name)).ToArray())
            Graph.Initializer.Remove(unused);
    }

    public static long Int(NodeProto node, string attribute, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == attribute) is { } found ? found.I : fallback;

    public static float Float(NodeProto node, string attribute, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == attribute) is { } found ? found.F : fallback;

    public static AttributeProto Attribute(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static float[] Floats(TensorProto tensor) =>
        tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : tensor.FloatData.ToArray();

    public static TensorProto FloatTensor(string name, long[] dims, float[] values) => Raw(name, TensorProto.Types.DataType.Float, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    public static TensorProto Int8Tensor(string name, long[] dims, sbyte[] values) => Raw(name, TensorProto.Types.DataType.Int8, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    public static TensorProto UInt8Tensor(string name, long[] dims, byte[] values) => Raw(name, TensorProto.Types.DataType.Uint8, dims, values);

    public static TensorProto Int32Tensor(string name, long[] dims, int[] values) => Raw(name, TensorProto.Types.DataType.Int32, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    public static TensorProto Float16Tensor(string name, long[] dims, Half[] values) => Raw(name, TensorProto.Types.DataType.Float16, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, long[] dims, ReadOnlySpan<byte> bytes)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.Add(dims);
        return tensor;
    }
}
