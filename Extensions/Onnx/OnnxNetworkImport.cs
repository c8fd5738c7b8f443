using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using MlNetDeep.Networks;
using Onnx;

namespace MlNetDeep.Onnx;

/// <summary>A network read from an ONNX file: its layers, their weights (named as a TorchSharp <c>Sequential</c> of the layers names them) and its input shape.</summary>
internal sealed record ImportedNetwork(long[] InputShape, IReadOnlyList<LayerSpec> Layers, IReadOnlyDictionary<string, WeightTensor> Weights);

/// <summary>
/// Reads a convolutional network from an ONNX graph into MlNetDeep layers, walking the graph itself rather than assuming
/// a layout: chains of Conv, BatchNormalization, Relu, MaxPool and AveragePool, and residual connections (a tensor that
/// feeds two branches meeting again at an Add). Asymmetric padding that is SAME_LOWER padding at the graph's input size
/// (CNTK's automatic padding) becomes a <see cref="SamePad2dLayer"/>, other asymmetric padding an explicit
/// <see cref="Pad2dLayer"/>; an average pool that covers the whole feature map at the graph's input size becomes global
/// average pooling. So a CNTK-exported network runs at any resolution.
/// </summary>
internal static class OnnxNetworkImport
{
    public static ImportedNetwork Read(string path)
    {
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidProtocolBufferException)
        {
            throw new InvalidDataException($"'{path}' cannot be read as an ONNX model: {e.Message}", e);
        }
        return Read(model.Graph, $"'{path}'");
    }

    public static ImportedNetwork Read(GraphProto graph, string source)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1 || graph.Output.Count != 1)
            throw new NotSupportedException($"{source} must have one input and one output to be imported (it has {inputs.Count} and {graph.Output.Count}).");
        var dims = inputs[0].Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
        if (dims.Length != 4 || dims.Skip(1).Any(d => d < 1))
            throw new NotSupportedException($"{source}'s input '{inputs[0].Name}' must be an image batch [N, C, H, W] with fixed C, H and W.");

        var reader = new GraphReader(graph, initializers, source);
        long[] inputShape = [dims[1], dims[2], dims[3]];
        var (layers, weights) = reader.ReadChain(inputs[0].Name, graph.Output[0].Name, inputShape);
        return new ImportedNetwork(inputShape, layers, weights);
    }

    private sealed class GraphReader(GraphProto graph, Dictionary<string, TensorProto> initializers, string source)
    {
        private readonly ILookup<string, NodeProto> consumers = graph.Node
            .SelectMany(n => n.Input.Select(input => (input, n)))
            .ToLookup(x => x.input, x => x.n, StringComparer.Ordinal);

        private readonly Dictionary<string, WeightTensor> weights = new(StringComparer.Ordinal);

        /// <summary>The layers from tensor <paramref name="from"/> to the graph output <paramref name="to"/>.</summary>
        public (List<LayerSpec> Layers, Dictionary<string, WeightTensor> Weights) ReadChain(string from, string to, long[] shape)
        {
            var layers = new List<LayerSpec>();
            var current = from;
            while (current != to)
            {
                var users = consumers[current].ToList();
                if (users.Count == 1 && users[0].OpType != "Add")
                {
                    var node = users[0];
                    foreach (var layer in Convert(node, shape, layers.Count, ""))
                        Append(layer);
                    current = SingleOutput(node);
                }
                else if (users.Count == 2)
                {
                    var branches = users.Select(Follow).ToList();
                    var add = branches[0].Add;
                    if (branches[1].Add != add)
                        throw new NotSupportedException($"{source}: tensor '{current}' feeds two branches that do not meet at one Add; only residual connections are supported.");
                    var (main, shortcut) = branches[0].Nodes.Count >= branches[1].Nodes.Count
                        ? (branches[0].Nodes, branches[1].Nodes)
                        : (branches[1].Nodes, branches[0].Nodes);
                    var prefix = layers.Count.ToString(CultureInfo.InvariantCulture) + ".";
                    Append(new ResidualLayer(ConvertBranch(main, shape, prefix + "main."), ConvertBranch(shortcut, shape, prefix + "shortcut.")));
                    current = SingleOutput(add);
                }
                else
                {
                    throw new NotSupportedException(users.Count == 0
                        ? $"{source}: tensor '{current}' is used by no node and is not the graph output."
                        : $"{source}: tensor '{current}' feeds {users.Count} nodes ({string.Join(", ", users.Select(u => u.OpType))}); only chains and residual connections are supported.");
                }
            }
            return (layers, weights);

            void Append(LayerSpec layer)
            {
                shape = layer.OutputShape(shape);
                layers.Add(layer);
            }
        }

        /// <summary>The chain of single-consumer nodes starting at <paramref name="first"/> up to the Add it ends in.</summary>
        private (List<NodeProto> Nodes, NodeProto Add) Follow(NodeProto first)
        {
            var nodes = new List<NodeProto>();
            var node = first;
            while (node.OpType != "Add")
            {
                nodes.Add(node);
                var next = consumers[SingleOutput(node)].ToList();
                if (next.Count != 1)
                    throw new NotSupportedException($"{source}: node '{node.Name}' ({node.OpType}) inside a residual branch feeds {next.Count} nodes.");
                node = next[0];
            }
            return (nodes, node);
        }

        private List<LayerSpec> ConvertBranch(List<NodeProto> nodes, long[] shape, string prefix)
        {
            var layers = new List<LayerSpec>();
            foreach (var node in nodes)
            {
                foreach (var layer in Convert(node, shape, layers.Count, prefix))
                {
                    shape = layer.OutputShape(shape);
                    layers.Add(layer);
                }
            }
            return layers;
        }

        /// <summary>The layers for one node; the first gets index <paramref name="index"/> under <paramref name="prefix"/> (a padding layer takes one index before the layer it pads for).</summary>
        private IEnumerable<LayerSpec> Convert(NodeProto node, long[] shape, int index, string prefix)
        {
            var attributes = node.Attribute.ToDictionary(a => a.Name, StringComparer.Ordinal);
            switch (node.OpType)
            {
                case "Conv":
                {
                    var weight = Initializer(node, 1);
                    var (outputChannels, inputChannels, kernel) = (weight.Shape[0], weight.Shape[1], weight.Shape[2]);
                    RequireSquare(node, kernel, weight.Shape[3], "kernel");
                    if (Ints(attributes, "group", [1]).Single() != 1 || Ints(attributes, "dilations", [1, 1]).Any(d => d != 1))
                        throw new NotSupportedException($"{source}: Conv node '{node.Name}' has groups or dilation, which are not supported.");
                    var stride = Stride(node, attributes);
                    var (padding, pad) = Padding(node, attributes, shape, kernel, stride, 0);
                    if (pad is not null)
                        yield return pad;
                    var conv = new Conv2dLayer(inputChannels, outputChannels, kernel, stride, padding, HasBias: node.Input.Count > 2);
                    var name = Name(prefix, index + (pad is null ? 0 : 1));
                    weights[name + "weight"] = weight;
                    if (conv.HasBias)
                        weights[name + "bias"] = Initializer(node, 2);
                    yield return conv;
                    break;
                }
                case "BatchNormalization":
                {
                    var name = Name(prefix, index);
                    string[] parts = ["weight", "bias", "running_mean", "running_var"];
                    for (var i = 0; i < parts.Length; i++)
                        weights[name + parts[i]] = Initializer(node, i + 1);
                    var epsilon = attributes.TryGetValue("epsilon", out var e) ? e.F : 1e-5f;
                    yield return new BatchNorm2dLayer(weights[name + "weight"].Shape[0], epsilon);
                    break;
                }
                case "Relu":
                    yield return new ActivationLayer(ActivationKind.Relu);
                    break;
                case "MaxPool":
                {
                    var kernel = Kernel(node, attributes);
                    var stride = Stride(node, attributes);
                    var (padding, pad) = Padding(node, attributes, shape, kernel, stride, Pad2dLayer.BelowAnyValue);
                    if (pad is not null)
                        yield return pad;
                    yield return new Pool2dLayer(PoolingKind.Max, kernel, stride, padding);
                    break;
                }
                case "AveragePool" or "GlobalAveragePool":
                {
                    var pads = Ints(attributes, "pads", [0, 0, 0, 0]);
                    if (node.OpType == "GlobalAveragePool" || (pads.All(p => p == 0) && Ints(attributes, "kernel_shape", []).SequenceEqual([shape[1], shape[2]])))
                    {
                        yield return new GlobalAveragePoolLayer();
                        break;
                    }
                    var kernel = Kernel(node, attributes);
                    var stride = Stride(node, attributes);
                    var (padding, pad) = Padding(node, attributes, shape, kernel, stride, 0);
                    if (pad is not null || (padding > 0 && Ints(attributes, "count_include_pad", [0]).Single() == 0))
                        throw new NotSupportedException($"{source}: AveragePool node '{node.Name}' excludes or asymmetrically adds padding, which is not supported.");
                    yield return new Pool2dLayer(PoolingKind.Average, kernel, stride, padding);
                    break;
                }
                default:
                    throw new NotSupportedException(
                        $"{source}: node '{node.Name}' is a {node.OpType}, which the importer does not support (supported: Conv, BatchNormalization, Relu, MaxPool, AveragePool, GlobalAveragePool, and Add in residual connections).");
            }
        }

        private static string Name(string prefix, int index) => prefix + index.ToString(CultureInfo.InvariantCulture) + ".";

        private long Kernel(NodeProto node, Dictionary<string, AttributeProto> attributes)
        {
            var kernel = Ints(attributes, "kernel_shape", []);
            if (kernel.Length != 2)
                throw new NotSupportedException($"{source}: {node.OpType} node '{node.Name}' must have a 2-D kernel_shape.");
            RequireSquare(node, kernel[0], kernel[1], "kernel");
            return kernel[0];
        }

        private long Stride(NodeProto node, Dictionary<string, AttributeProto> attributes)
        {
            var strides = Ints(attributes, "strides", [1, 1]);
            RequireSquare(node, strides[0], strides[1], "stride");
            return strides[0];
        }

        /// <summary>
        /// Symmetric padding as the layer's own; otherwise a padding layer (filled with <paramref name="value"/>) and none
        /// in the layer: size-dependent SAME_LOWER padding when the pads equal it for the node's input <paramref name="shape"/>, else the fixed pads.
        /// </summary>
        private (long Padding, LayerSpec? Pad) Padding(NodeProto node, Dictionary<string, AttributeProto> attributes, long[] shape, long kernel, long stride, double value)
        {
            if (attributes.TryGetValue("auto_pad", out var autoPad) && autoPad.S.ToStringUtf8() is not ("NOTSET" or ""))
                throw new NotSupportedException($"{source}: {node.OpType} node '{node.Name}' uses auto_pad {autoPad.S.ToStringUtf8()}; only explicit pads are supported.");
            var pads = Ints(attributes, "pads", [0, 0, 0, 0]);
            if (pads.All(p => p == pads[0]))
                return (pads[0], null);
            var (top, bottom) = SamePad2dLayer.Padding(shape[1], kernel, stride);
            var (left, right) = SamePad2dLayer.Padding(shape[2], kernel, stride);
            if (pads.SequenceEqual([top, left, bottom, right]))
                return (0, new SamePad2dLayer(kernel, stride, value));
            return (0, new Pad2dLayer(pads[0], pads[1], pads[2], pads[3], value));
        }

        private void RequireSquare(NodeProto node, long first, long second, string what)
        {
            if (first != second)
                throw new NotSupportedException($"{source}: {node.OpType} node '{node.Name}' has a {first}×{second} {what}; only square ones are supported.");
        }

        private static long[] Ints(Dictionary<string, AttributeProto> attributes, string name, long[] fallback) =>
            attributes.TryGetValue(name, out var attribute) ? (attribute.Ints.Count > 0 ? attribute.Ints.ToArray() : [attribute.I]) : fallback;

        private WeightTensor Initializer(NodeProto node, int input)
        {
            if (input >= node.Input.Count || !initializers.TryGetValue(node.Input[input], out var tensor))
                throw new NotSupportedException($"{source}: input {input} of {node.OpType} node '{node.Name}' is not a constant weight.");
            if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
                throw new NotSupportedException($"{source}: weight '{tensor.Name}' is not float32.");
            var values = tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : tensor.FloatData.ToArray();
            return new WeightTensor(tensor.Dims.ToArray(), values);
        }

        private string SingleOutput(NodeProto node) => node.Output.Count == 1 ? node.Output[0]
            : throw new NotSupportedException($"{source}: {node.OpType} node '{node.Name}' has {node.Output.Count} outputs; only single-output nodes are supported.");
    }
}
