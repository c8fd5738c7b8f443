using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>TorchSharp module for <see cref="InputLayoutLayer"/>.</summary>
internal sealed class InputLayoutModule(long channels, long height, long width, bool channelsLast) : nn.Module<Tensor, Tensor>("InputLayout")
{
    public override Tensor forward(Tensor input) => channelsLast
        ? input.reshape(-1, height, width, channels).permute(0, 3, 1, 2)
        : input.reshape(-1, channels, height, width);
}

/// <summary>TorchSharp module for <see cref="ChannelStandardizeLayer"/>: statistics in buffers shaped [C, 1, 1] to broadcast over pixels.</summary>
internal sealed class ChannelStandardizeModule : nn.Module<Tensor, Tensor>
{
    public ChannelStandardizeModule(long channels) : base("ChannelStandardize")
    {
        register_buffer("mean", zeros(channels, 1, 1));
        register_buffer("scale", ones(channels, 1, 1));
    }

    public override Tensor forward(Tensor input) => (input - get_buffer("mean")!).mul_(get_buffer("scale")!);

    public void SetStatistics(double[] mean, double[] std)
    {
        using var noGrad = no_grad();
        using var meanValues = tensor(mean.Select(m => (float)m).ToArray()).reshape(-1, 1, 1);
        using var scaleValues = tensor(std.Select(s => s > 1e-8 ? (float)(1 / s) : 1f).ToArray()).reshape(-1, 1, 1);
        get_buffer("mean")!.copy_(meanValues);
        get_buffer("scale")!.copy_(scaleValues);
    }
}

/// <summary>TorchSharp module for <see cref="GlobalAveragePoolLayer"/>.</summary>
internal sealed class GlobalAveragePoolModule() : nn.Module<Tensor, Tensor>("GlobalAveragePool")
{
    public override Tensor forward(Tensor input) => input.mean([2, 3]);
}

/// <summary>TorchSharp module for <see cref="ResidualBlockLayer"/>; submodule names are the weight names the ONNX export reads.</summary>
internal sealed class ResidualBlockModule : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv1, bn1, conv2, bn2, activation;
    private readonly nn.Module<Tensor, Tensor>? shortcut_conv, shortcut_bn;

    public ResidualBlockModule(ResidualBlockLayer spec) : base("ResidualBlock")
    {
        conv1 = nn.Conv2d(spec.InputChannels, spec.OutputChannels, 3, stride: spec.Stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(spec.OutputChannels);
        conv2 = nn.Conv2d(spec.OutputChannels, spec.OutputChannels, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(spec.OutputChannels);
        activation = new ActivationLayer(spec.Activation).CreateModule();
        if (spec.HasProjection)
        {
            shortcut_conv = nn.Conv2d(spec.InputChannels, spec.OutputChannels, 1, stride: spec.Stride, bias: false);
            shortcut_bn = nn.BatchNorm2d(spec.OutputChannels);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = activation.forward(bn1.forward(conv1.forward(input)));
        x = bn2.forward(conv2.forward(x));
        var identity = shortcut_conv is null ? input : shortcut_bn!.forward(shortcut_conv.forward(input));
        return activation.forward(x.add_(identity)).MoveToOuterDisposeScope();
    }
}
