using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Google.Protobuf;
using MlNetDeep.Networks;
using MlNetDeep.Onnx;
using MlNetDeep.Tasks;
using Onnx;

namespace MlNetDeep;

/// <summary>
/// A trained network: its definition, its weights and the task it was trained for. It is what a fitted model carries into
/// ONNX (the definition rides along as ONNX metadata), so it can be read back from a model.zip or an .onnx file to
/// continue training.
/// </summary>
public sealed class TrainedNetwork
{
    private const string NetworkKey = "mlnetdeep.network";
    private const string TaskKey = "mlnetdeep.task";
    private const string ClassCountKey = "mlnetdeep.class_count";
    private const string InputKey = "mlnetdeep.input";

    internal TrainedNetwork(NetworkSpec spec, IReadOnlyDictionary<string, WeightTensor> weights, PredictionTask task, int classCount)
    {
        Spec = spec;
        Weights = weights;
        Task = task;
        ClassCount = classCount;
    }

    /// <summary>The network's definition.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>The number of classes the network tells apart, 0 for regression.</summary>
    public int ClassCount { get; }

    internal IReadOnlyDictionary<string, WeightTensor> Weights { get; }

    internal PredictionTask Task { get; }

    /// <summary>The number of trainable and buffer values.</summary>
    public long ParameterCount => Weights.Values.Sum(w => (long)w.Values.Length);

    /// <summary>
    /// The network with its inference head as an ONNX model (opset 17) that takes one example of the input shape, named
    /// <paramref name="inputName"/>, without a batch dimension (token sequences: [1, length]); outputs are named as in the ML.NET model.
    /// </summary>
    public byte[] ToOnnx(string inputName = "Features") => ToOnnx(inputName, tokenKeyBits: 0, OutputColumns.Default);

    /// <summary>
    /// As <see cref="ToOnnx(string)"/>; with <paramref name="tokenKeyBits"/> &gt; 0 the token keys arrive as ML.NET's
    /// MapKeyToBinaryVector codes of that many digits per token (see <see cref="Onnx.TokenKeyCodes"/>).
    /// </summary>
    internal byte[] ToOnnx(string inputName, int tokenKeyBits, OutputColumns columns)
    {
        var graph = new OnnxGraph(Weights);
        string x;
        if (Spec.InputShape.Any(d => d < 0))
        {
            // A variable-length input keeps its batch dimension: ML.NET's ONNX scorer then feeds each row at its own length.
            graph.Input(inputName, TensorProto.Types.DataType.Float, [1, .. Spec.InputShape]);
            x = tokenKeyBits > 0 ? DecodeTokenKeys(graph, inputName, tokenKeyBits) : inputName;
        }
        else
        {
            graph.Input(inputName, TensorProto.Types.DataType.Float, Spec.InputShape);
            x = graph.Node("Unsqueeze", [inputName, graph.Constant(0L)]);
        }
        for (var i = 0; i < Spec.Layers.Count; i++)
            x = Spec.Layers[i].EmitOnnx(graph, x, i.ToString(CultureInfo.InvariantCulture) + ".");
        Task.EmitHead(graph, x, ClassCount, columns);
        var metadata = new Dictionary<string, string>
        {
            [NetworkKey] = Spec.ToJson(),
            [TaskKey] = Task.Id,
            [ClassCountKey] = ClassCount.ToString(CultureInfo.InvariantCulture),
            [InputKey] = inputName,
        };
        return graph.ToModel(metadata).ToByteArray();
    }

    /// <summary>Binary key codes [1, T × bits] → key values [1, T] (1-based; 0 where the code is all ones, a missing key).</summary>
    private static string DecodeTokenKeys(OnnxGraph graph, string codes, int bits)
    {
        var digits = graph.Node("Reshape", [codes, graph.Constant(1, -1, bits)]);
        var powers = Enumerable.Range(0, bits).Select(i => (float)(1L << (bits - 1 - i))).ToArray();
        // Mul + ReduceSum rather than MatMul: ONNX Runtime's MatMul rejects the [1, 0, bits] digits of an empty sequence.
        var index = graph.Node("ReduceSum", [graph.Node("Mul", [digits, graph.Constant([bits], powers)]), graph.Constant(-1L)], OnnxGraph.Attribute("keepdims", 0L));
        var missing = graph.Node("Equal", [index, graph.Constant((float)((1L << bits) - 1))]);
        return graph.Node("Where", [missing, graph.Constant(0f), graph.Node("Add", [index, graph.Constant(1f)])]);
    }

    /// <summary>Reads a network from ONNX bytes written by MlNetDeep.</summary>
    public static TrainedNetwork FromOnnx(byte[] onnx, string source = "the ONNX model")
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(onnx);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source} is not a valid ONNX model: {e.Message}", e);
        }
        var metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        if (!metadata.TryGetValue(NetworkKey, out var specJson) || !metadata.TryGetValue(TaskKey, out var taskId))
            throw new InvalidDataException($"{source} was not written by MlNetDeep (it has no network definition), so it cannot be trained further.");
        var spec = NetworkSpec.FromJson(specJson);
        var weights = model.Graph.Initializer
            .Where(t => t.DataType == (int)TensorProto.Types.DataType.Float && !t.Name.StartsWith("const_", StringComparison.Ordinal))
            .ToDictionary(t => t.Name, t => new WeightTensor(t.Dims.ToArray(), ReadFloats(t)), StringComparer.Ordinal);
        SparseWeightEncoding.Decode(model.Graph, weights);
        return new TrainedNetwork(spec, weights, PredictionTask.FromId(taskId), int.Parse(metadata[ClassCountKey], CultureInfo.InvariantCulture));
    }

    /// <summary>Reads the network inside an ML.NET model.zip saved from an MlNetDeep model (for fine-tuning).</summary>
    public static TrainedNetwork Load(string modelPath)
    {
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(modelPath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"'{modelPath}' cannot be read as an ML.NET model.zip: {e.Message}", e);
        }
        using (archive)
        {
            // ML.NET's OnnxTransformer stores the ONNX bytes in an entry named "OnnxModel", after a length prefix.
            foreach (var entry in archive.Entries.Where(e => e.Name == "OnnxModel"))
            {
                byte[] bytes;
                try
                {
                    using var stream = entry.Open();
                    using var buffer = new MemoryStream();
                    stream.CopyTo(buffer);
                    bytes = buffer.ToArray();
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"'{modelPath}' is damaged: its entry '{entry.FullName}' cannot be read ({e.Message}).", e);
                }
                if (bytes.Length <= sizeof(int))
                    continue;
                var length = BitConverter.ToInt32(bytes, 0);
                if (length != bytes.Length - sizeof(int))
                    continue;
                var onnx = bytes[sizeof(int)..];
                if (IsMlNetDeepOnnx(onnx))
                    return FromOnnx(onnx, $"'{modelPath}'");
            }
        }
        throw new InvalidDataException($"'{modelPath}' holds no MlNetDeep network (it is not a model saved from an MlNetDeep trainer).");

        static bool IsMlNetDeepOnnx(byte[] onnx)
        {
            try
            {
                return ModelProto.Parser.ParseFrom(onnx).MetadataProps.Any(p => p.Key == NetworkKey);
            }
            catch (InvalidProtocolBufferException)
            {
                return false;
            }
        }
    }

    private static float[] ReadFloats(TensorProto tensor) =>
        tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : tensor.FloatData.ToArray();
}
