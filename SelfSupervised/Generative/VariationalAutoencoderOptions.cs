namespace MlNetDeep;

/// <summary>
/// Options of <see cref="VariationalAutoencoder"/>: a fully connected VAE (Kingma and Welling 2014) over pixel vectors
/// with values in [0, 1] (as <c>LoadIdxImages</c> gives them), a Bernoulli likelihood per pixel and a Gaussian latent.
/// </summary>
public sealed class VariationalAutoencoderOptions
{
    /// <summary>The pixel column: a fixed-size Single vector with values in [0, 1]. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Hidden layer sizes of the encoder, input side first; the decoder mirrors them. Default [512, 256].</summary>
    public IReadOnlyList<int> HiddenLayerSizes { get; set; } = [512, 256];

    /// <summary>Dimensions of the latent Gaussian. Default 16.</summary>
    public int LatentSize { get; set; } = 16;

    /// <summary>Rows per batch. Default 128.</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Passes over the images. Default 10.</summary>
    public int NumberOfEpochs { get; set; } = 10;

    /// <summary>The Adam learning rate. Default 1e-3.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>The seed; null for 1. Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>Threads for libtorch; null leaves its default. Default null.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Checks every option; throws naming the first invalid one.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), FeatureColumnName, "must name a column");
        Require(HiddenLayerSizes is not null && HiddenLayerSizes.All(s => s >= 1), nameof(HiddenLayerSizes),
            HiddenLayerSizes is null ? null : string.Join(", ", HiddenLayerSizes), "must hold sizes of at least 1");
        Require(LatentSize >= 1, nameof(LatentSize), LatentSize, "must be at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Require(NumberOfEpochs >= 1, nameof(NumberOfEpochs), NumberOfEpochs, "must be at least 1");
        Require(double.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), LearningRate, "must be greater than 0");
        Require(NumberOfThreads is null or >= 1, nameof(NumberOfThreads), NumberOfThreads, "must be at least 1");
    }

    private static void Require(bool valid, string option, object? value, string rule)
    {
        if (!valid)
            throw new ArgumentOutOfRangeException(option, value, $"Option {option} {rule} (got {value ?? "null"}).");
    }
}
