using System.Text.Json;
using System.Text.Json.Serialization;
using MlNetDeep.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// A network as an ordered list of layers applied to one example of shape <see cref="InputShape"/> (batch dimension excluded).
/// Layer <c>i</c> owns the weights named <c>"{i}.…"</c>, as in a TorchSharp <c>Sequential</c>. A negative dimension is
/// the length of a variable-length sequence (token sequences).
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

    internal nn.Module<Tensor, Tensor> CreateModule() => new LayerStack(Layers.Select(layer => layer.CreateModule()));

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
        BatchNorm2d norm when norm.affine && norm.track_running_stats && norm.momentum is not null =>
            new BatchNorm2dLayer(norm.num_features, norm.eps, norm.momentum.Value),
        BatchNorm2d => throw new NotSupportedException(
            $"Layer '{path}' (BatchNorm2d) must have affine=true, track_running_stats=true and a momentum to be exported."),
        Conv2d { padding: { } padding } conv when IsSquare(conv.kernel_size) && IsSquare(conv.stride) && IsSquare(padding) && conv.dilation.All(d => d == 1)
                                                 && conv.groups == 1 && conv.padding_type is null && conv.padding_mode == TorchSharp.PaddingModes.Zeros =>
            new Conv2dLayer(conv.in_channels, conv.out_channels, conv.kernel_size[0], conv.stride[0], padding[0], conv.bias is not null),
        Conv2d => throw new NotSupportedException(
            $"Layer '{path}' (Conv2d) must have square kernel, stride and numeric zero padding, dilation 1 and groups 1 to be exported."),
        MaxPool2d pool when IsSquare(pool.kernel_size) && IsSquare(pool.stride!) && IsSquare(pool.padding!) && !pool.ceil_mode && pool.dilation!.All(d => d == 1) =>
            new Pool2dLayer(PoolingKind.Max, pool.kernel_size[0], pool.stride[0], pool.padding[0]),
        AvgPool2d pool when IsSquare(pool.kernel_size) && IsSquare(pool.stride!) && IsSquare(pool.padding!) && !pool.ceil_mode && pool.count_include_pad && pool.divisor_override is null =>
            new Pool2dLayer(PoolingKind.Average, pool.kernel_size[0], pool.stride[0], pool.padding[0]),
        MaxPool2d or AvgPool2d => throw new NotSupportedException(
            $"Layer '{path}' ({module.GetType().Name}) must have square window, stride and padding, no ceil_mode (and count_include_pad for averages) to be exported."),
        Flatten flatten when flatten.start_dim == 1 && flatten.end_dim == -1 => new FlattenLayer(),
        Unflatten unflatten when unflatten.dim == 1 && unflatten.unflattened_size.Length == 3 =>
            new InputLayoutLayer(unflatten.unflattened_size[0], unflatten.unflattened_size[1], unflatten.unflattened_size[2]),
        Flatten or Unflatten => throw new NotSupportedException(
            $"Layer '{path}' ({module.GetType().Name}) is supported only as Flatten() of everything after the batch dimension or Unflatten(1, [channels, height, width])."),
        _ => throw new NotSupportedException(
            $"Layer '{path}' ({module.GetType().Name}) is not supported by MlNetDeep's ONNX export. Supported layers: " +
            "Sequential, Linear, ReLU, LeakyReLU, ELU, GELU, Tanh, Sigmoid, SiLU, Dropout, BatchNorm1d, BatchNorm2d, Conv2d, MaxPool2d, AvgPool2d, Flatten, Unflatten, Identity."),
    };

    private static bool IsSquare(long[] values) => values.Length == 2 ? values[0] == values[1] : values.Length == 1;

    private sealed record SerializedSpec(long[] InputShape, LayerSpec[] Layers);
}
