using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// Turns each training batch of B rows into two random views of every row, <c>[2B, …]</c> (view 1 of all rows, then view
/// 2), and makes NT-Xent the whole objective. The random source is reseeded from (seed, step), so a run repeats exactly.
/// </summary>
internal abstract class ContrastiveViews(double temperature) : TrainingCallback, IDisposable
{
    protected Generator Random { get; } = new(0, CPU);

    public override void OnTrainingBegin(TrainingContext context)
    {
        context.Objective.TaskLossWeight = 0;
        context.Objective.Add(new NtXentLoss(temperature));
    }

    public override Tensor OnTrainingBatch(TrainingContext context, Tensor features)
    {
        Random.manual_seed(unchecked(context.Seed * 1_000_003L + context.Step * 7919L + 29));
        return cat([FirstView(features), SecondView(features)], 0);
    }

    /// <summary>The first view of each row of <paramref name="features"/> <c>[B, F]</c>.</summary>
    public abstract Tensor FirstView(Tensor features);

    /// <summary>The second view, drawn independently of the first.</summary>
    public virtual Tensor SecondView(Tensor features) => FirstView(features);

    protected Tensor Uniform(long count, double low, double high) => (rand(count, generator: Random) * (high - low) + low);

    public void Dispose() => Random.Dispose();
}

/// <summary>SimCLR's image views: random resized crop, horizontal flip, brightness and contrast jitter, Gaussian noise.</summary>
internal sealed class ImageViews(ContrastivePretrainingOptions options, ImageShape shape, PixelLayout layout) : ContrastiveViews(options.Temperature)
{
    public override Tensor FirstView(Tensor features)
    {
        var (channels, height, width) = (shape.Channels, shape.Height, shape.Width);
        var batch = features.shape[0];
        var images = layout == PixelLayout.ChannelsLast
            ? features.reshape(batch, height, width, channels).permute(0, 3, 1, 2)
            : features.reshape(batch, channels, height, width);
        var view = Jitter(Crop(images));
        return layout == PixelLayout.ChannelsLast ? view.permute(0, 2, 3, 1).reshape(batch, -1) : view.reshape(batch, -1);
    }

    /// <summary>A crop of random area and aspect ratio, resized back to the full image (one affine resampling), flipped with its probability.</summary>
    private Tensor Crop(Tensor images)
    {
        var batch = images.shape[0];
        var area = Uniform(batch, options.CropMinimumScale, 1);
        var aspect = Uniform(batch, Math.Log(3.0 / 4), Math.Log(4.0 / 3)).exp();
        var cropWidth = area.mul(aspect).sqrt().clamp_max(1);
        var cropHeight = area.div(aspect).sqrt().clamp_max(1);
        // affine_grid's coordinates run from -1 to 1: a crop of width w may be centred anywhere in [-(1 - w), 1 - w].
        var centreX = Uniform(batch, -1, 1).mul(cropWidth.neg().add(1));
        var centreY = Uniform(batch, -1, 1).mul(cropHeight.neg().add(1));
        var flip = rand(batch, generator: Random).lt(options.HorizontalFlipProbability).to(ScalarType.Float32).mul(-2).add(1);
        var zero = zeros_like(area);
        var theta = stack([cropWidth.mul(flip), zero, centreX, zero, cropHeight, centreY], 1).reshape(batch, 2, 3).to(images.dtype).to(images.device);
        var grid = nn.functional.affine_grid(theta, images.shape, align_corners: false);
        return nn.functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
    }

    /// <summary>Brightness (scale) and contrast (around each image's mean) jitter, then noise relative to the batch's spread.</summary>
    private Tensor Jitter(Tensor images)
    {
        var batch = images.shape[0];
        var device = images.device;
        var brightness = Uniform(batch, 1 - options.BrightnessJitter, 1 + options.BrightnessJitter).reshape(-1, 1, 1, 1).to(device);
        var contrast = Uniform(batch, 1 - options.ContrastJitter, 1 + options.ContrastJitter).reshape(-1, 1, 1, 1).to(device);
        var mean = images.mean([1, 2, 3], keepdim: true);
        var jittered = images.sub(mean).mul(contrast).add(mean).mul(brightness);
        if (options.NoiseStandardDeviation <= 0)
            return jittered;
        var noise = randn(images.shape, generator: Random).to(device).mul(images.std().mul(options.NoiseStandardDeviation));
        return jittered.add(noise);
    }
}

/// <summary>
/// SCARF's views of feature vectors: the first view is the row itself, the second replaces a random
/// <see cref="ContrastivePretrainingOptions.CorruptionRate"/> of its features with the same features of random other rows
/// of the batch (the features' marginal distribution, estimated by the batch).
/// </summary>
internal sealed class CorruptedFeatureViews(ContrastivePretrainingOptions options) : ContrastiveViews(options.Temperature)
{
    public override Tensor FirstView(Tensor features) => features;

    public override Tensor SecondView(Tensor features)
    {
        var (batch, size) = (features.shape[0], features.shape[1]);
        var corrupted = rand([batch, size], generator: Random).lt(options.CorruptionRate).to(features.device);
        var donors = randint(0, batch, [batch, size], generator: Random).to(features.device);
        var replacements = features.gather(0, donors);
        return where(corrupted, replacements, features);
    }
}
