using Microsoft.ML;

namespace MlNetDeep;

/// <summary>Reads an image data set stored as one folder per class (the layout Model Builder uses) into rows of file path and label.</summary>
public static class ImageFolder
{
    /// <summary>The file extensions read as images.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// One row per image file under <paramref name="root"/>'s subfolders: <c>ImagePath</c> (the full path) and <c>Label</c>
    /// (the subfolder's name), ordered by label, then file name. Feed the paths to <c>ml.Transforms.LoadImages</c>.
    /// </summary>
    public static IDataView LoadImageFolder(this DataOperationsCatalog catalog, string root)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        var rows = Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .SelectMany(folder => Directory.GetFiles(folder)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .Select(f => new ImageFileRow { ImagePath = Path.GetFullPath(f), Label = Path.GetFileName(folder) }))
            .ToArray();
        if (rows.Length == 0)
            throw new InvalidDataException(
                $"Image folder '{root}' has no images in subfolders; it needs one subfolder per class holding that class's images ({string.Join(", ", ImageExtensions)}).");
        return catalog.LoadFromEnumerable(rows);
    }

    private sealed class ImageFileRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
