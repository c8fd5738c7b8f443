namespace MlNetDeep;

/// <summary>
/// Options of contrastive pretraining (<see cref="ContrastivePretrainer"/>): the encoder to pretrain, the projection head,
/// the NT-Xent temperature, the views and the optimization (AdamW with linear warm-up and cosine decay).
/// </summary>
/// <remarks>
/// The encoder is the network the given <see cref="Encoder"/> options build, without its output layer: for
/// <see cref="ConvolutionalNetworkOptions"/> the convolution blocks and hidden layers (image views: random resized crop,
/// flip, brightness and contrast jitter, noise), for <see cref="FeedForwardOptions"/> the hidden layers (SCARF views: a
/// random subset of the features replaced by the values of other rows). Pass the same encoder options with
/// <see cref="NetworkOptions.PretrainedEncoderPath"/> set to the saved featurizer to fine-tune on labels.
/// </remarks>
public sealed class ContrastivePretrainingOptions
{
    /// <summary>The input column: images as the CNN trainer takes them, or a fixed-size feature vector. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>The output column of the fitted featurizer: the encoder's embedding, a Single vector. Default "Embedding".</summary>
    public string EmbeddingColumnName { get; set; } = "Embedding";

    /// <summary>The architecture whose layers up to (not including) the output layer form the encoder. Default: the classic small CNN.</summary>
    public NetworkOptions Encoder { get; set; } = new ConvolutionalNetworkOptions();

    /// <summary>Hidden width of the projection head (Linear → ReLU → Linear); 0 for a single linear projection. Default 128.</summary>
    public int ProjectionHiddenSize { get; set; } = 128;

    /// <summary>Output size of the projection head, where NT-Xent is computed. Default 64.</summary>
    public int ProjectionSize { get; set; } = 64;

    /// <summary>The NT-Xent temperature (&gt; 0). Default 0.5.</summary>
    public double Temperature { get; set; } = 0.5;

    /// <summary>Rows per batch (at least 2: each row's negatives are the other rows' views). Default 256.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>Passes over the unlabeled rows. Default 20.</summary>
    public int NumberOfEpochs { get; set; } = 20;

    /// <summary>The peak AdamW learning rate. Default 1e-3.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Decoupled (AdamW) weight decay. Default 1e-4.</summary>
    public double WeightDecay { get; set; } = 1e-4;

    /// <summary>Epochs of linear learning-rate warm-up before the cosine decay. Default 1.</summary>
    public double WarmupEpochs { get; set; } = 1;

    /// <summary>Image views: the smallest crop area as a fraction of the image (random resized crop). Default 0.35.</summary>
    public double CropMinimumScale { get; set; } = 0.35;

    /// <summary>Image views: probability of a horizontal flip. Default 0.5.</summary>
    public double HorizontalFlipProbability { get; set; } = 0.5;

    /// <summary>Image views: brightness is multiplied by a factor drawn from [1 − j, 1 + j]. Default 0.4.</summary>
    public double BrightnessJitter { get; set; } = 0.4;

    /// <summary>Image views: contrast around each image's mean is scaled by a factor from [1 − j, 1 + j]. Default 0.4.</summary>
    public double ContrastJitter { get; set; } = 0.4;

    /// <summary>Image views: Gaussian noise with this standard deviation, as a fraction of the batch's pixel standard deviation. Default 0.1.</summary>
    public double NoiseStandardDeviation { get; set; } = 0.1;

    /// <summary>Feature-vector views (SCARF): the fraction of features replaced by another row's value. Default 0.6.</summary>
    public double CorruptionRate { get; set; } = 0.6;

    /// <summary>The seed; null to draw one from the MLContext. Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>Threads for libtorch; null leaves its default. Default null.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Checks every option; throws naming the first invalid one.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), FeatureColumnName, "must name a column");
        Require(!string.IsNullOrWhiteSpace(EmbeddingColumnName), nameof(EmbeddingColumnName), EmbeddingColumnName, "must name a column");
        Require(Encoder is ConvolutionalNetworkOptions or FeedForwardOptions, nameof(Encoder), Encoder?.GetType().Name, "must be ConvolutionalNetworkOptions or FeedForwardOptions");
        Encoder!.Validate();
        Require(Encoder.PretrainedEncoderPath is null, nameof(Encoder) + ".PretrainedEncoderPath", Encoder.PretrainedEncoderPath, "must be null for pretraining");
        Require(ProjectionHiddenSize >= 0, nameof(ProjectionHiddenSize), ProjectionHiddenSize, "must be 0 or more");
        Require(ProjectionSize >= 1, nameof(ProjectionSize), ProjectionSize, "must be at least 1");
        Require(double.IsFinite(Temperature) && Temperature > 0, nameof(Temperature), Temperature, "must be greater than 0");
        Require(BatchSize >= 2, nameof(BatchSize), BatchSize, "must be at least 2 (the contrastive loss needs other rows as negatives)");
        Require(NumberOfEpochs >= 1, nameof(NumberOfEpochs), NumberOfEpochs, "must be at least 1");
        Require(double.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), LearningRate, "must be greater than 0");
        Require(double.IsFinite(WeightDecay) && WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be 0 or more");
        Require(double.IsFinite(WarmupEpochs) && WarmupEpochs >= 0, nameof(WarmupEpochs), WarmupEpochs, "must be 0 or more");
        Require(CropMinimumScale is > 0 and <= 1, nameof(CropMinimumScale), CropMinimumScale, "must be in (0, 1]");
        Require(HorizontalFlipProbability is >= 0 and <= 1, nameof(HorizontalFlipProbability), HorizontalFlipProbability, "must be in [0, 1]");
        Require(BrightnessJitter is >= 0 and < 1, nameof(BrightnessJitter), BrightnessJitter, "must be in [0, 1)");
        Require(ContrastJitter is >= 0 and < 1, nameof(ContrastJitter), ContrastJitter, "must be in [0, 1)");
        Require(double.IsFinite(NoiseStandardDeviation) && NoiseStandardDeviation >= 0, nameof(NoiseStandardDeviation), NoiseStandardDeviation, "must be 0 or more");
        Require(CorruptionRate is >= 0 and <= 1, nameof(CorruptionRate), CorruptionRate, "must be in [0, 1]");
        Require(NumberOfThreads is null or >= 1, nameof(NumberOfThreads), NumberOfThreads, "must be at least 1");
    }

    private static void Require(bool valid, string option, object? value, string rule)
    {
        if (!valid)
            throw new ArgumentOutOfRangeException(option, value, $"Option {option} {rule} (got {value ?? "null"}).");
    }
}
