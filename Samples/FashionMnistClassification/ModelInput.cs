using Microsoft.ML.Data;

namespace FashionMnistClassification;

/// <summary>One image as <c>ml.Data.LoadIdxImages</c> reads it: the class name and 28 × 28 pixels scaled to [0, 1].</summary>
public sealed class ModelInput
{
    public string Label { get; set; } = "";

    [VectorType(28, 28)]
    public float[] Features { get; set; } = [];
}
