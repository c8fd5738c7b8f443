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

/// <summary>
/// Creates the 2-D convolutions of MlNetDeep's layers. libtorch 2.10's oneDNN AVX-512 kernels compute wrong, run-to-run
/// different gradients (often NaN) for the input of a convolution with fewer than 16 output channels, so such narrow
/// convolutions run as im2col and a matrix product (<see cref="NarrowConv2dModule"/>); wider ones use libtorch's own.
/// </summary>
internal static class Convolutions
{
    public const long NarrowBelowChannels = 16;

    public static nn.Module<Tensor, Tensor> Create(long inputChannels, long outputChannels, long kernelSize, long stride, long padding, bool bias)
    {
        var convolution = nn.Conv2d(inputChannels, outputChannels, kernelSize, stride: stride, padding: padding, bias: bias);
        return outputChannels < NarrowBelowChannels ? new NarrowConv2dModule(convolution, kernelSize, stride, padding) : convolution;
    }
}

/// <summary>
/// A convolution computed as unfold (im2col) and a matrix product, with libtorch's initialization and the parameter
/// names <c>weight</c> and <c>bias</c> of <c>Conv2d</c>, so checkpoints, ONNX export and fine-tuning see no difference.
/// </summary>
internal sealed class NarrowConv2dModule : nn.Module<Tensor, Tensor>
{
    private readonly long kernelSize, stride, padding;

    public NarrowConv2dModule(TorchSharp.Modules.Conv2d initialized, long kernelSize, long stride, long padding) : base("NarrowConv2d")
    {
        (this.kernelSize, this.stride, this.padding) = (kernelSize, stride, padding);
        register_parameter("weight", initialized.weight!);
        if (initialized.bias is { } bias)
            register_parameter("bias", bias);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var weight = get_parameter("weight")!;
        var (outputChannels, height, width) = (weight.shape[0], Slide(input.shape[2]), Slide(input.shape[3]));
        var columns = nn.functional.unfold(input, kernelSize, padding: padding, stride: stride);
        var output = weight.view(outputChannels, -1).matmul(columns).view(input.shape[0], outputChannels, height, width);
        if (get_parameter("bias") is { } bias)
            output = output.add(bias.view(1, -1, 1, 1));
        return output.MoveToOuterDisposeScope();
    }

    private long Slide(long size) => (size + 2 * padding - kernelSize) / stride + 1;
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
        conv1 = Convolutions.Create(spec.InputChannels, spec.OutputChannels, 3, spec.Stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(spec.OutputChannels);
        conv2 = Convolutions.Create(spec.OutputChannels, spec.OutputChannels, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(spec.OutputChannels);
        activation = new ActivationLayer(spec.Activation).CreateModule();
        if (spec.HasProjection)
        {
            shortcut_conv = Convolutions.Create(spec.InputChannels, spec.OutputChannels, 1, spec.Stride, padding: 0, bias: false);
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
