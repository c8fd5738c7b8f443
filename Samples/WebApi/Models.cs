using Microsoft.ML.Data;

namespace WebApi;

/// <summary>The row the model reads: 28 × 28 pixels in [0, 1] and the label column the saved pipeline expects (unused when predicting).</summary>
public sealed class ModelInput
{
    /// <summary>Pixel count of a Fashion-MNIST image.</summary>
    public const int PixelCount = 28 * 28;

    public string Label { get; set; } = "";

    [VectorType(28, 28)]
    public float[] Features { get; set; } = [];
}

/// <summary>What the model adds: the predicted class name and one probability per class.</summary>
public sealed class ModelOutput
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}

/// <summary>One image to classify.</summary>
/// <param name="Features">784 pixel values (28 × 28, row by row), each a finite number, 0 (background) to 1 (ink) as in Fashion-MNIST.</param>
public sealed record PredictRequest(float[]? Features);

/// <summary>The prediction for one image.</summary>
/// <param name="PredictedLabel">The most likely class.</param>
/// <param name="Scores">Each class's probability, in the model's class order.</param>
public sealed record PredictResponse(string PredictedLabel, IReadOnlyDictionary<string, float> Scores);
