using SkiaSharp;

namespace MlNetDeep;

/// <summary>Writes grayscale images as one PNG grid (e.g. a generative model's samples).</summary>
public static class ImageGrid
{
    /// <summary>
    /// Writes <paramref name="images"/> (each <paramref name="height"/> × <paramref name="width"/> values in [0, 1], row
    /// major) as a grid of <paramref name="columns"/> images per row, each pixel scaled by <paramref name="scale"/>, with
    /// a 1-pixel gap; the file is written beside <paramref name="path"/>, then moved into place.
    /// </summary>
    public static void SavePng(IReadOnlyList<float[]> images, int height, int width, int columns, string path, int scale = 2)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("There are no images to write.", nameof(images));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        var rows = (images.Count + columns - 1) / columns;
        var cell = (width * scale + 1, height * scale + 1);
        using var bitmap = new SKBitmap(columns * cell.Item1 + 1, rows * cell.Item2 + 1, SKColorType.Gray8, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(255, 255, 255));
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image.Length != height * width)
                throw new ArgumentException($"Image {i} has {image.Length} values; {height} × {width} needs {height * width}.", nameof(images));
            var (left, top) = (1 + i % columns * cell.Item1, 1 + i / columns * cell.Item2);
            for (var y = 0; y < height * scale; y++)
            {
                for (var x = 0; x < width * scale; x++)
                {
                    var value = (byte)Math.Round(Math.Clamp(image[y / scale * width + x / scale], 0, 1) * 255);
                    bitmap.SetPixel(left + x, top + y, new SKColor(value, value, value));
                }
            }
        }
        var full = Path.GetFullPath(path);
        var temporary = full + ".writing";
        using (var stream = File.Create(temporary))
        using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100))
            data.SaveTo(stream);
        File.Move(temporary, full, overwrite: true);
    }
}
