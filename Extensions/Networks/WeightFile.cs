using System.Runtime.InteropServices;

namespace MlNetDeep.Networks;

/// <summary>A small binary file of named float32 tensors (checkpoints): magic, count, then name, rank, dims and values per tensor.</summary>
internal static class WeightFile
{
    private const string Magic = "MLNDW1";

    public static void Write(string path, IReadOnlyDictionary<string, WeightTensor> weights) =>
        SafeFile.Write(path, stream => Write(stream, weights));

    private static void Write(Stream stream, IReadOnlyDictionary<string, WeightTensor> weights)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(weights.Count);
        foreach (var (name, weight) in weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            writer.Write(name);
            writer.Write(weight.Shape.Length);
            foreach (var dim in weight.Shape)
                writer.Write(dim);
            writer.Write(weight.Values.Length);
            writer.Write(MemoryMarshal.AsBytes(weight.Values.AsSpan()));
        }
    }

    public static Dictionary<string, WeightTensor> Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadString() != Magic)
            throw new InvalidDataException($"'{path}' is not an MlNetDeep weight file.");
        var count = reader.ReadInt32();
        var weights = new Dictionary<string, WeightTensor>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var shape = new long[reader.ReadInt32()];
            for (var d = 0; d < shape.Length; d++)
                shape[d] = reader.ReadInt64();
            var values = new float[reader.ReadInt32()];
            reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            weights[name] = new WeightTensor(shape, values);
        }
        return weights;
    }
}
