using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Transforms.Onnx;

namespace MlNetDeep.Scoring;

/// <summary>Reads a fitted model as ML.NET saves it: its transformers in order, and the ONNX graph inside each ONNX scorer.</summary>
internal static class ModelParts
{
    /// <summary>
    /// The model as plain ML.NET transformers, nested chains flattened in the order they transform data. A model is saved
    /// and loaded once to get there, so every ML.NET-savable model (an MlNetDeep model included) takes the same form.
    /// </summary>
    public static (ITransformer Loaded, IReadOnlyList<ITransformer> Steps) Load(MLContext ml, ITransformer model)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, null, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        var steps = new List<ITransformer>();
        Flatten(loaded, steps);
        return (loaded, steps);
    }

    private static void Flatten(ITransformer transformer, List<ITransformer> steps)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            foreach (var step in chain)
                Flatten(step, steps);
        }
        else
        {
            steps.Add(transformer);
        }
    }

    /// <summary>The ONNX model inside an ML.NET ONNX scorer (ML.NET keeps it internal; its saved form holds it after a length prefix).</summary>
    public static byte[] OnnxBytes(MLContext ml, OnnxTransformer scorer)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(scorer, null, stream);
        stream.Position = 0;
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
        var entry = zip.Entries.SingleOrDefault(e => e.Name == "OnnxModel")
            ?? throw new InvalidDataException("The ONNX scorer saved no ONNX model.");
        using var entryStream = entry.Open();
        using var bytes = new MemoryStream();
        entryStream.CopyTo(bytes);
        var saved = bytes.ToArray();
        var length = BitConverter.ToInt32(saved, 0);
        if (length != saved.Length - sizeof(int))
            throw new InvalidDataException("The ONNX scorer's saved model has an unexpected layout.");
        return saved[sizeof(int)..];
    }
}
