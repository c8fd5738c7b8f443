namespace FashionMnistClassification;

/// <summary>What the model adds: the predicted class name and one probability per class.</summary>
public sealed class ModelOutput
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}
