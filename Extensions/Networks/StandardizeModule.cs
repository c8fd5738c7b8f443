using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>TorchSharp module for <see cref="StandardizeLayer"/>: statistics live in buffers so they move with the module and are saved with it.</summary>
internal sealed class StandardizeModule : nn.Module<Tensor, Tensor>
{
    public StandardizeModule(long features) : base("Standardize")
    {
        register_buffer("mean", zeros(features));
        register_buffer("scale", ones(features));
    }

    public override Tensor forward(Tensor input) => (input - get_buffer("mean")!).mul_(get_buffer("scale")!);

    /// <summary>Sets mean and 1/std from per-feature statistics; constant features get scale 1 so they cannot blow up.</summary>
    public void SetStatistics(ReadOnlySpan<double> mean, ReadOnlySpan<double> std)
    {
        var scale = new float[std.Length];
        for (var i = 0; i < scale.Length; i++)
            scale[i] = std[i] > 1e-8 ? (float)(1.0 / std[i]) : 1f;
        var meanValues = new float[mean.Length];
        for (var i = 0; i < meanValues.Length; i++)
            meanValues[i] = (float)mean[i];
        using var noGrad = no_grad();
        var meanBuffer = get_buffer("mean")!;
        var scaleBuffer = get_buffer("scale")!;
        using var meanTensor = tensor(meanValues);
        using var scaleTensor = tensor(scale);
        meanBuffer.copy_(meanTensor);
        scaleBuffer.copy_(scaleTensor);
    }
}
