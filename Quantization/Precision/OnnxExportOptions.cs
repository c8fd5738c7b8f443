namespace MlNetDeep;

/// <summary>The numeric precision of an exported or converted network.</summary>
public enum OnnxPrecision
{
    /// <summary>The network's weights as the model holds them: fp32, or int8 where <c>ml.Model.Quantize</c> quantized them.</summary>
    AsIs,

    /// <summary>Weights and computation in fp16 (half the size; fast on GPUs with fp16 units); inputs and outputs stay fp32.</summary>
    Float16,
}

/// <summary>Options of <c>ml.Model.ExportOnnx</c>: plain settings that round-trip through JSON.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The precision of the exported network. Default <see cref="OnnxPrecision.AsIs"/>.</summary>
    public OnnxPrecision Precision { get; set; } = OnnxPrecision.AsIs;

    /// <summary>
    /// Whether the input and outputs get a leading batch dimension named "N" (any number of examples per call), as
    /// deployments outside .NET usually want; false writes the graph as model.zip holds it (one example per call).
    /// Networks over variable-length token sequences always take one example per call. Default true.
    /// </summary>
    public bool BatchDimension { get; set; } = true;

    /// <summary>Checks every option and throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, $"Option {nameof(Precision)} must be AsIs or Float16 (got {Precision}).");
    }
}
