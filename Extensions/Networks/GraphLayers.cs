using System.Globalization;
using MlNetDeep.Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>
/// Pads an image with <paramref name="Value"/> by a possibly different amount on each side (what an imported graph's
/// asymmetric convolution and pooling padding becomes).
/// </summary>
public sealed record Pad2dLayer(long Top, long Left, long Bottom, long Right, double Value = 0) : LayerSpec
{
    /// <summary>The padding value for max pooling: a max-pooling window never picks it.</summary>
    public const double BelowAnyValue = float.MinValue;

    internal override nn.Module<Tensor, Tensor> CreateModule() => new Pad2dModule(this);

    internal override long[] OutputShape(long[] inputShape)
    {
        if (inputShape.Length != 3)
            throw new InvalidOperationException($"Padding expects an image (channels, height, width) but receives shape [{string.Join(", ", inputShape)}].");
        return [inputShape[0], inputShape[1] + Top + Bottom, inputShape[2] + Left + Right];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) =>
        graph.Node("Pad", [input, graph.Constant(0, 0, Top, Left, 0, 0, Bottom, Right), graph.Constant((float)Value)]);
}

/// <summary>
/// Pads an image so that a <paramref name="Kernel"/> × <paramref name="Kernel"/> window with stride
/// <paramref name="Stride"/> gives ceil(side / stride) outputs along each side, as ONNX's auto_pad SAME_LOWER does (the
/// odd pixel of padding at the start), at whatever size the image has. CNTK exports such padding as fixed pads for the
/// graph's own input size; computed per size instead, the two branches of a strided residual block still meet at odd
/// sizes and the network runs at any resolution.
/// </summary>
public sealed record SamePad2dLayer(long Kernel, long Stride, double Value = 0) : LayerSpec
{
    /// <summary>The padding before and after one side of <paramref name="side"/> pixels.</summary>
    public static (long Before, long After) Padding(long side, long kernel, long stride)
    {
        var outputs = (side + stride - 1) / stride;
        var total = Math.Max((outputs - 1) * stride + kernel - side, 0);
        return (total - total / 2, total / 2);
    }

    internal override nn.Module<Tensor, Tensor> CreateModule() => new SamePad2dModule(this);

    internal override long[] OutputShape(long[] inputShape)
    {
        if (inputShape.Length != 3)
            throw new InvalidOperationException($"Padding expects an image (channels, height, width) but receives shape [{string.Join(", ", inputShape)}].");
        var (top, bottom) = Padding(inputShape[1], Kernel, Stride);
        var (left, right) = Padding(inputShape[2], Kernel, Stride);
        return [inputShape[0], inputShape[1] + top + bottom, inputShape[2] + left + right];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        // The same arithmetic on the input's [height, width], so the exported graph also runs at any size.
        var sides = graph.Node("Slice", [graph.Node("Shape", [input]), graph.Constant(2L), graph.Constant(4L)]);
        var outputs = graph.Node("Div", [graph.Node("Add", [sides, graph.Constant(Stride - 1)]), graph.Constant(Stride)]);
        var covered = graph.Node("Add", [graph.Node("Mul", [graph.Node("Sub", [outputs, graph.Constant(1L)]), graph.Constant(Stride)]), graph.Constant(Kernel)]);
        var total = graph.Node("Max", [graph.Node("Sub", [covered, sides]), graph.Constant(0L)]);
        var after = graph.Node("Div", [total, graph.Constant(2L)]);
        var before = graph.Node("Sub", [total, after]);
        var pads = graph.Node("Concat", [graph.Constant(0L, 0L), before, graph.Constant(0L, 0L), after], OnnxGraph.Attribute("axis", 0L));
        return graph.Node("Pad", [input, pads, graph.Constant((float)Value)]);
    }
}

/// <summary>
/// A residual connection: the sum of the <paramref name="Main"/> branch and the <paramref name="Shortcut"/> branch (the
/// identity when empty) applied to the same input. Layer <c>j</c> of a branch owns the weights <c>"main.{j}.…"</c> or
/// <c>"shortcut.{j}.…"</c>.
/// </summary>
public sealed record ResidualLayer(IReadOnlyList<LayerSpec> Main, IReadOnlyList<LayerSpec> Shortcut) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new ResidualModule(this);

    internal override long[] OutputShape(long[] inputShape)
    {
        if (Main.Count == 0)
            throw new InvalidOperationException("A residual layer needs at least one layer in its main branch.");
        var main = Main.Aggregate(inputShape, (shape, layer) => layer.OutputShape(shape));
        var shortcut = Shortcut.Aggregate(inputShape, (shape, layer) => layer.OutputShape(shape));
        if (!main.SequenceEqual(shortcut))
            throw new InvalidOperationException(
                $"A residual layer's branches must give the same shape, but the main branch gives [{string.Join(", ", main)}] and the shortcut [{string.Join(", ", shortcut)}].");
        return main;
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        var main = EmitBranch(graph, input, Main, weightPrefix + "main.");
        var shortcut = EmitBranch(graph, input, Shortcut, weightPrefix + "shortcut.");
        return graph.Node("Add", [main, shortcut]);
    }

    private static string EmitBranch(OnnxGraph graph, string input, IReadOnlyList<LayerSpec> layers, string prefix)
    {
        for (var j = 0; j < layers.Count; j++)
            input = layers[j].EmitOnnx(graph, input, prefix + j.ToString(CultureInfo.InvariantCulture) + ".");
        return input;
    }
}

/// <summary>Repeats a one-channel (grayscale) image into <paramref name="Channels"/> identical channels, e.g. for a network pretrained on colour images.</summary>
public sealed record ExpandChannelsLayer(long Channels) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new ExpandChannelsModule(Channels);

    internal override long[] OutputShape(long[] inputShape)
    {
        RequireChannels(inputShape, 1, $"Channel expansion (1 -> {Channels})");
        return [Channels, inputShape[1], inputShape[2]];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) =>
        graph.Node("Expand", [input, graph.Constant(1, Channels, 1, 1)]);
}

/// <summary>Resizes an image to <paramref name="Height"/> × <paramref name="Width"/> by bilinear interpolation (half-pixel centres, no antialiasing).</summary>
public sealed record ResizeLayer(long Height, long Width) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new ResizeModule(Height, Width);

    internal override long[] OutputShape(long[] inputShape)
    {
        if (inputShape.Length != 3)
            throw new InvalidOperationException($"Resizing expects an image (channels, height, width) but receives shape [{string.Join(", ", inputShape)}].");
        if (Height < 1 || Width < 1)
            throw new InvalidOperationException($"Resizing needs a positive size (got {Height}×{Width}).");
        return [inputShape[0], Height, Width];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        // The target's batch and channel sizes come from the input, so only height and width are fixed here.
        var shape = graph.Node("Shape", [input]);
        var batchAndChannels = graph.Node("Slice", [shape, graph.Constant(0L), graph.Constant(2L)]);
        var sizes = graph.Node("Concat", [batchAndChannels, graph.Constant(Height, Width)], OnnxGraph.Attribute("axis", 0L));
        return graph.Node("Resize", [input, "", "", sizes],
            OnnxGraph.Attribute("mode", "linear"), OnnxGraph.Attribute("coordinate_transformation_mode", "half_pixel"));
    }
}

/// <summary>TorchSharp module for <see cref="Pad2dLayer"/>.</summary>
internal sealed class Pad2dModule(Pad2dLayer spec) : nn.Module<Tensor, Tensor>("Pad2d")
{
    private readonly long[] padding = [spec.Left, spec.Right, spec.Top, spec.Bottom];

    public override Tensor forward(Tensor input) => nn.functional.pad(input, padding, TorchSharp.PaddingModes.Constant, spec.Value);
}

internal sealed class SamePad2dModule(SamePad2dLayer spec) : nn.Module<Tensor, Tensor>("SamePad2d")
{
    public override Tensor forward(Tensor input)
    {
        var (top, bottom) = SamePad2dLayer.Padding(input.shape[2], spec.Kernel, spec.Stride);
        var (left, right) = SamePad2dLayer.Padding(input.shape[3], spec.Kernel, spec.Stride);
        return nn.functional.pad(input, [left, right, top, bottom], TorchSharp.PaddingModes.Constant, spec.Value);
    }
}

/// <summary>TorchSharp module for <see cref="ResidualLayer"/>; the branch names are the weight names the ONNX export reads.</summary>
internal sealed class ResidualModule : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Sequential main, shortcut;

    public ResidualModule(ResidualLayer spec) : base("Residual")
    {
        main = Branch(spec.Main);
        shortcut = Branch(spec.Shortcut);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var identity = shortcut.Count == 0 ? input : shortcut.forward(input);
        return main.forward(input).add_(identity).MoveToOuterDisposeScope();
    }

    private static TorchSharp.Modules.Sequential Branch(IReadOnlyList<LayerSpec> layers) =>
        nn.Sequential(layers.Select((layer, j) => (j.ToString(CultureInfo.InvariantCulture), layer.CreateModule())));
}

/// <summary>TorchSharp module for <see cref="ExpandChannelsLayer"/>.</summary>
internal sealed class ExpandChannelsModule(long channels) : nn.Module<Tensor, Tensor>("ExpandChannels")
{
    public override Tensor forward(Tensor input) => input.expand(-1, channels, -1, -1);
}

/// <summary>TorchSharp module for <see cref="ResizeLayer"/>.</summary>
internal sealed class ResizeModule(long height, long width) : nn.Module<Tensor, Tensor>("Resize")
{
    public override Tensor forward(Tensor input) =>
        nn.functional.interpolate(input, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
}
