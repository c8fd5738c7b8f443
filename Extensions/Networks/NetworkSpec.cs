using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>
/// A network as an ordered list of layers applied to one example of shape <see cref="InputShape"/> (batch dimension excluded).
/// Layer <c>i</c> owns the weights named <c>"{i}.…"</c>, as in a TorchSharp <c>Sequential</c>.
/// </summary>
public sealed record NetworkSpec
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Creates a definition and checks that every layer accepts the shape the previous one produces.</summary>
    public NetworkSpec(long[] inputShape, IReadOnlyList<LayerSpec> layers)
    {
        if (layers.Count == 0)
            throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        InputShape = inputShape;
        Layers = layers;
        OutputShape = layers.Aggregate(inputShape, (shape, layer) => layer.OutputShape(shape));
    }

    /// <summary>The shape of one input example.</summary>
    public long[] InputShape { get; }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<LayerSpec> Layers { get; }

    /// <summary>The shape of one output example.</summary>
    public long[] OutputShape { get; }

    /// <summary>The definition as JSON, as saved inside the model.</summary>
    public string ToJson() => JsonSerializer.Serialize(new SerializedSpec(InputShape, Layers.ToArray()), Json);

    /// <summary>Reads a definition written by <see cref="ToJson"/>.</summary>
    public static NetworkSpec FromJson(string json)
    {
        var spec = JsonSerializer.Deserialize<SerializedSpec>(json, Json)
            ?? throw new InvalidDataException("The network definition is empty.");
        return new NetworkSpec(spec.InputShape, spec.Layers);
    }

    internal Sequential CreateModule() =>
        nn.Sequential(Layers.Select((layer, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), layer.CreateModule())));

    /// <summary>
    /// Describes an existing TorchSharp network (a <c>Sequential</c>, nested ones flattened) in supported layers and
    /// returns the flattened modules, so training updates the caller's own layer instances.
    /// </summary>
    internal static (NetworkSpec Spec, IReadOnlyList<nn.Module<Tensor, Tensor>> Modules) Describe(nn.Module network, long[] inputShape)
    {
        var layers = new List<LayerSpec>();
        var modules = new List<nn.Module<Tensor, Tensor>>();
        Flatten(network, "network");
        return (new NetworkSpec(inputShape, layers), modules);

        void Flatten(nn.Module module, string path)
        {
            if (module is Sequential sequential)
            {
                foreach (var (name, child) in sequential.named_children())
                    Flatten(child, path + "." + name);
                return;
            }
            if (module is Identity)
                return;
            layers.Add(DescribeLayer(module, path));
            modules.Add((nn.Module<Tensor, Tensor>)module);
        }
    }

    private static LayerSpec DescribeLayer(nn.Module module, string path) => module switch
    {
        Linear linear => new LinearLayer(linear.in_features, linear.out_features, linear.bias is not null),
        ReLU => new ActivationLayer(ActivationKind.Relu),
        LeakyReLU leaky => new ActivationLayer(ActivationKind.LeakyRelu, leaky.negative_slope),
        ELU elu => new ActivationLayer(ActivationKind.Elu, elu.alpha),
        GELU gelu => new ActivationLayer(gelu.approximate == GELU.Approximate.tanh ? ActivationKind.GeluTanh : ActivationKind.Gelu),
        Tanh => new ActivationLayer(ActivationKind.Tanh),
        Sigmoid => new ActivationLayer(ActivationKind.Sigmoid),
        SiLU => new ActivationLayer(ActivationKind.Silu),
        Dropout dropout => new DropoutLayer(dropout.p),
        BatchNorm1d norm when norm.affine && norm.track_running_stats && norm.momentum is not null =>
            new BatchNormLayer(norm.num_features, norm.eps, norm.momentum.Value),
        BatchNorm1d => throw new NotSupportedException(
            $"Layer '{path}' (BatchNorm1d) must have affine=true, track_running_stats=true and a momentum to be exported."),
        _ => throw new NotSupportedException(
            $"Layer '{path}' ({module.GetType().Name}) is not supported by MlNetDeep's ONNX export. Supported layers: " +
            "Sequential, Linear, ReLU, LeakyReLU, ELU, GELU, Tanh, Sigmoid, SiLU, Dropout, BatchNorm1d, Identity."),
    };

    private sealed record SerializedSpec(long[] InputShape, LayerSpec[] Layers);
}
