namespace MlNetDeep;

/// <summary>How activations are quantized.</summary>
public enum QuantizationMode
{
    /// <summary>
    /// Weights stored as int8; each layer's input quantized at run time from its own range (ONNX DynamicQuantizeLinear +
    /// MatMulInteger, which ONNX Runtime fuses). Fully connected layers and the projections of attention layers; needs no
    /// calibration data beyond checking the schema.
    /// </summary>
    Dynamic,

    /// <summary>
    /// Weights and activations int8 with activation ranges calibrated on data beforehand, as QuantizeLinear/DequantizeLinear
    /// pairs around convolutions, fully connected layers and the operators between them (ReLU, pooling, residual adds,
    /// flattening), which ONNX Runtime fuses into QLinearConv, QGemm and their kin. Batch normalization is folded first.
    /// </summary>
    Static,
}

/// <summary>How static quantization turns the activations seen on calibration data into a range.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen.</summary>
    MinMax,

    /// <summary>The <see cref="QuantizationOptions.Percentile"/>-th percentile at each end: rare outliers no longer stretch the range.</summary>
    Percentile,

    /// <summary>The clipping threshold that minimizes the KL divergence between the value histogram and its quantized form (TensorRT's entropy calibration).</summary>
    Entropy,
}

/// <summary>How many scales a weight tensor gets.</summary>
public enum WeightGranularity
{
    /// <summary>One scale per output channel (convolution filter or fully connected output unit): closest to the float weights.</summary>
    PerChannel,

    /// <summary>One scale for the whole tensor.</summary>
    PerTensor,
}

/// <summary>Options of <c>ml.Model.Quantize</c>: plain settings that round-trip through JSON.</summary>
public sealed class QuantizationOptions
{
    /// <summary>Dynamic (weights only ahead of time) or static (weights and calibrated activations). Default <see cref="QuantizationMode.Dynamic"/>.</summary>
    public QuantizationMode Mode { get; set; } = QuantizationMode.Dynamic;

    /// <summary>Scales per weight tensor. Default <see cref="WeightGranularity.PerChannel"/>.</summary>
    public WeightGranularity Weights { get; set; } = WeightGranularity.PerChannel;

    /// <summary>How static quantization chooses activation ranges. Default <see cref="CalibrationMethod.Percentile"/>.</summary>
    public CalibrationMethod Calibration { get; set; } = CalibrationMethod.Percentile;

    /// <summary>The percentile kept at each end with <see cref="CalibrationMethod.Percentile"/>, in (50, 100]. Default 99.99.</summary>
    public double Percentile { get; set; } = 99.99;

    /// <summary>Rows of the calibration data read to calibrate activation ranges (static mode). Default 1000.</summary>
    public int CalibrationRows { get; set; } = 1000;

    /// <summary>Keeps the first quantizable layer (the one reading the input) in float. Default false.</summary>
    public bool KeepFirstLayerFloat { get; set; }

    /// <summary>Keeps the last quantizable layer (the one producing the scores) in float. Default false.</summary>
    public bool KeepLastLayerFloat { get; set; }

    /// <summary>Layers kept in float, by the names <c>ml.Model.QuantizationSensitivity</c> reports (e.g. "2", "6.conv1"). Default none.</summary>
    public IReadOnlyList<string> KeepFloatLayers { get; set; } = [];

    /// <summary>Checks every option and throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Mode))
            throw new ArgumentOutOfRangeException(nameof(Mode), Mode, $"Option {nameof(Mode)} must be Dynamic or Static (got {Mode}).");
        if (!Enum.IsDefined(Weights))
            throw new ArgumentOutOfRangeException(nameof(Weights), Weights, $"Option {nameof(Weights)} must be PerChannel or PerTensor (got {Weights}).");
        if (!Enum.IsDefined(Calibration))
            throw new ArgumentOutOfRangeException(nameof(Calibration), Calibration, $"Option {nameof(Calibration)} must be MinMax, Percentile or Entropy (got {Calibration}).");
        if (Percentile is not (> 50 and <= 100))
            throw new ArgumentOutOfRangeException(nameof(Percentile), Percentile, $"Option {nameof(Percentile)} must be in (50, 100] (got {Percentile}).");
        if (CalibrationRows < 1)
            throw new ArgumentOutOfRangeException(nameof(CalibrationRows), CalibrationRows, $"Option {nameof(CalibrationRows)} must be at least 1 (got {CalibrationRows}).");
        if (KeepFloatLayers is null || KeepFloatLayers.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentOutOfRangeException(nameof(KeepFloatLayers), KeepFloatLayers, $"Option {nameof(KeepFloatLayers)} must list layer names.");
    }
}
