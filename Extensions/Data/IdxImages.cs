using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep;

/// <summary>
/// Reads images and labels in the idx format of MNIST and Fashion-MNIST (plain or .gz) into an IDataView with a
/// <c>Label</c> text column and a <c>Features</c> column of <c>rows × columns</c> pixels scaled to [0, 1].
/// </summary>
public static class IdxImages
{
    /// <summary>Fashion-MNIST's class names, in label order.</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads an idx3 image file and its idx1 label file; labels become <paramref name="classNames"/>[label] (or the label's digits when null).</summary>
    public static IDataView LoadIdxImages(this DataOperationsCatalog catalog, string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        var (count, rows, columns, pixels) = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new InvalidDataException($"'{imagesPath}' holds {count} images but '{labelsPath}' holds {labels.Length} labels.");
        var size = rows * columns;
        var examples = new IdxExample[count];
        for (var i = 0; i < count; i++)
        {
            var label = labels[i];
            if (classNames is not null && label >= classNames.Count)
                throw new InvalidDataException($"'{labelsPath}' has label {label} in row {i} but only {classNames.Count} class names were given.");
            var features = new float[size];
            for (var p = 0; p < size; p++)
                features[p] = pixels[(long)i * size + p] / 255f;
            examples[i] = new IdxExample { Label = classNames?[label] ?? label.ToString(System.Globalization.CultureInfo.InvariantCulture), Features = features };
        }
        var schema = SchemaDefinition.Create(typeof(IdxExample));
        schema[nameof(IdxExample.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows, columns);
        return catalog.LoadFromEnumerable(examples, schema);
    }

    private static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        using var reader = Open(path);
        var header = ReadHeader(reader, path, expectedDimensions: 3);
        var pixels = new byte[checked((long)header[0] * header[1] * header[2])];
        ReadBody(reader, pixels, path);
        return (header[0], header[1], header[2], pixels);
    }

    private static byte[] ReadLabels(string path)
    {
        using var reader = Open(path);
        var header = ReadHeader(reader, path, expectedDimensions: 1);
        var labels = new byte[header[0]];
        ReadBody(reader, labels, path);
        return labels;
    }

    private static Stream Open(string path)
    {
        Stream file = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>The idx magic is 0x00 0x00, a type code (0x08 = unsigned byte) and the dimension count, then one big-endian int32 per dimension.</summary>
    private static int[] ReadHeader(Stream stream, string path, int expectedDimensions)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadBody(stream, magic, path);
        if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] != expectedDimensions)
            throw new InvalidDataException($"'{path}' is not an idx file of unsigned bytes with {expectedDimensions} dimension(s).");
        var dimensions = new int[expectedDimensions];
        Span<byte> value = stackalloc byte[4];
        for (var i = 0; i < expectedDimensions; i++)
        {
            ReadBody(stream, value, path);
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(value);
            if (dimensions[i] < 0)
                throw new InvalidDataException($"'{path}' has a negative dimension.");
        }
        return dimensions;
    }

    private static void ReadBody(Stream stream, Span<byte> destination, string path)
    {
        try
        {
            stream.ReadExactly(destination);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"'{path}' ends early; the file is truncated.", e);
        }
    }

    private sealed class IdxExample
    {
        public string Label { get; set; } = "";

        public float[] Features { get; set; } = [];
    }
}
