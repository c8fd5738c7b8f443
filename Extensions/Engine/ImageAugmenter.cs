using MlNetDeep.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep.Engine;

/// <summary>
/// Applies <see cref="ImageAugmentation"/> to each training batch. The random source is reseeded from (seed, step)
/// before every batch, so the transformations depend only on where training is — a resumed run repeats them exactly.
/// </summary>
internal sealed class ImageAugmenter(ImageAugmentation options, ImageLayout layout) : TrainingCallback, IDisposable
{
    private readonly Generator generator = new(0, CPU);

    public override Tensor OnTrainingBatch(TrainingContext context, Tensor features)
    {
        generator.manual_seed(unchecked(context.Seed * 1_000_003L + context.Step * 7919L + 11));
        var (channels, height, width) = (layout.Shape.Channels, layout.Shape.Height, layout.Shape.Width);
        var batch = features.shape[0];
        var images = layout.Layout == PixelLayout.ChannelsLast
            ? features.reshape(batch, height, width, channels).permute(0, 3, 1, 2)
            : features.reshape(batch, channels, height, width);
        var augmented = Augment(images);
        return layout.Layout == PixelLayout.ChannelsLast
            ? augmented.permute(0, 2, 3, 1).reshape(batch, -1)
            : augmented.reshape(batch, -1);
    }

    /// <summary>Augments images of shape [B, C, H, W]; the caller's dispose scope owns the intermediate tensors.</summary>
    internal Tensor Augment(Tensor images)
    {
        if (options.HorizontalFlipProbability > 0)
            images = where(Chosen(images, options.HorizontalFlipProbability), images.flip(3), images);
        if (options.VerticalFlipProbability > 0)
            images = where(Chosen(images, options.VerticalFlipProbability), images.flip(2), images);
        if (options.MovesPixels)
            images = MovePixels(images);
        if (options.ErasingProbability > 0)
            images = Erase(images);
        return images;
    }

    /// <summary>Crop, rotation and translation as one affine resampling per image (zeros come in from outside).</summary>
    private Tensor MovePixels(Tensor images)
    {
        var (batch, height, width) = (images.shape[0], images.shape[2], images.shape[3]);
        var angle = Uniform(batch, -options.RotationDegrees, options.RotationDegrees) * (Math.PI / 180) * Choose(batch, options.RotationProbability * Sign(options.RotationDegrees));
        var cropRange = options.CropProbability > 0 ? options.CropPadding : 0;
        // A crop from the padded image is a whole-pixel shift; affine_grid measures shifts in units of half the image.
        var shiftX = (Integers(batch, cropRange) * Choose(batch, options.CropProbability) + Uniform(batch, -options.TranslationFraction, options.TranslationFraction) * width * Choose(batch, options.TranslationProbability)) * (2.0 / width);
        var shiftY = (Integers(batch, cropRange) * Choose(batch, options.CropProbability) + Uniform(batch, -options.TranslationFraction, options.TranslationFraction) * height * Choose(batch, options.TranslationProbability)) * (2.0 / height);
        var (cos, sin) = (angle.cos(), angle.sin());
        var theta = stack([cos, -sin, shiftX, sin, cos, shiftY], 1).reshape(batch, 2, 3).to(images.dtype).to(images.device);
        var grid = nn.functional.affine_grid(theta, images.shape, align_corners: false);
        return nn.functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
    }

    /// <summary>Random erasing: a rectangle of random area and aspect ratio set to 0 in the chosen images.</summary>
    private Tensor Erase(Tensor images)
    {
        var (batch, height, width) = (images.shape[0], images.shape[2], images.shape[3]);
        var area = Uniform(batch, options.ErasingMinArea, options.ErasingMaxArea) * (height * width);
        var aspect = (Uniform(batch, Math.Log(0.3), Math.Log(1 / 0.3))).exp();
        var eraseHeight = (area * aspect).sqrt().round().clamp(1, height);
        var eraseWidth = (area / aspect).sqrt().round().clamp(1, width);
        var top = (rand(batch, generator: generator) * (height - eraseHeight + 1)).floor();
        var left = (rand(batch, generator: generator) * (width - eraseWidth + 1)).floor();
        var chosen = Choose(batch, options.ErasingProbability);
        var rows = arange(height, dtype: ScalarType.Float32).reshape(1, height, 1);
        var columns = arange(width, dtype: ScalarType.Float32).reshape(1, 1, width);
        var mask = rows.ge(top.reshape(-1, 1, 1)).logical_and(rows.lt((top + eraseHeight).reshape(-1, 1, 1)))
            .logical_and(columns.ge(left.reshape(-1, 1, 1))).logical_and(columns.lt((left + eraseWidth).reshape(-1, 1, 1)))
            .logical_and(chosen.gt(0).reshape(-1, 1, 1));
        return images.masked_fill(mask.unsqueeze(1).to(images.device), 0);
    }

    /// <summary>A [B, 1, 1, 1] mask on the images' device: true for each image chosen with <paramref name="probability"/>.</summary>
    private Tensor Chosen(Tensor images, double probability) => Choose(images.shape[0], probability).gt(0).reshape(-1, 1, 1, 1).to(images.device);

    /// <summary>1 for each of <paramref name="count"/> items chosen with <paramref name="probability"/>, else 0 (float, CPU).</summary>
    private Tensor Choose(long count, double probability) => rand(count, generator: generator).lt(probability).to(ScalarType.Float32);

    private Tensor Uniform(long count, double low, double high) => rand(count, ScalarType.Float64, generator: generator) * (high - low) + low;

    private Tensor Integers(long count, int range) => randint(-range, range + 1, [count], generator: generator).to(ScalarType.Float64);

    private static double Sign(double value) => value > 0 ? 1 : 0;

    public void Dispose() => generator.Dispose();
}
