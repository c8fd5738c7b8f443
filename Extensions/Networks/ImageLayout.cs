using MlNetDeep.Data;

namespace MlNetDeep.Networks;

/// <summary>Where the image in a feature column comes from: its shape and pixel layout.</summary>
internal sealed record ImageLayout(ImageShape Shape, PixelLayout Layout)
{
    /// <summary>
    /// The declared shape, or the one the column's dimensions give: (channels, height, width) — or (height, width,
    /// channels) for <see cref="PixelLayout.ChannelsLast"/> — or (height, width) for one channel.
    /// </summary>
    public static ImageLayout Resolve(FeatureColumn features, ImageShape? declared, PixelLayout layout)
    {
        var dimensions = features.Dimensions;
        var shape = declared ?? dimensions.Length switch
        {
            3 when layout == PixelLayout.ChannelsLast => new ImageShape(dimensions[2], dimensions[0], dimensions[1]),
            3 => new ImageShape(dimensions[0], dimensions[1], dimensions[2]),
            2 => new ImageShape(1, dimensions[0], dimensions[1]),
            _ => throw new ArgumentException(
                $"Feature column '{features.Name}' is a flat vector of {features.Size} values; declare the image shape (ImageShape = new(channels, height, width))."),
        };
        if (shape.Channels < 1 || shape.Height < 1 || shape.Width < 1)
            throw new ArgumentException($"Image shape {shape} must be positive in every dimension.");
        if (shape.Size != features.Size)
            throw new ArgumentException(
                $"Feature column '{features.Name}' has {features.Size} values but image shape {shape} needs {shape.Size}.");
        return new ImageLayout(shape, layout);
    }
}
