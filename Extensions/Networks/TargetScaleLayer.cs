using MlNetDeep.Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>
/// <c>y = x · <paramref name="Std"/> + <paramref name="Mean"/></c>: puts a network's standardized regression output on the
/// scale of the training labels (statistics of the training rows, saved in the definition), so that a network with
/// small initial outputs need not learn the labels' offset and scale first.
/// </summary>
public sealed record TargetScaleLayer(double Mean, double Std) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new TargetScaleModule(Mean, Std);

    internal override long[] OutputShape(long[] inputShape) => inputShape;

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) =>
        graph.Node("Add", [graph.Node("Mul", [input, graph.Constant((float)Std)]), graph.Constant((float)Mean)]);

    /// <summary>The layer for the given training targets: their mean and (population) standard deviation, 1 when they are constant.</summary>
    internal static TargetScaleLayer Of(IReadOnlyCollection<float> targets)
    {
        var mean = targets.Average(t => (double)t);
        var std = Math.Sqrt(targets.Average(t => (t - mean) * (t - mean)));
        return new TargetScaleLayer(mean, std > 1e-8 ? std : 1);
    }
}

/// <summary>TorchSharp module for <see cref="TargetScaleLayer"/>.</summary>
internal sealed class TargetScaleModule(double mean, double std) : nn.Module<Tensor, Tensor>("TargetScale")
{
    public override Tensor forward(Tensor input) => input * std + mean;
}
