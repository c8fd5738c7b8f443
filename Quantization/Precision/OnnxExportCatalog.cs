using Google.Protobuf;
using Microsoft.ML;
using MlNetDeep.Quantization;
using MlNetDeep.Scoring;
using Onnx;

namespace MlNetDeep;

/// <summary>
/// Precision and export on ML.NET's model catalog: <c>ml.Model.ConvertToFloat16(model, data)</c> for GPUs with fp16
/// units, <c>ml.Model.ExportOnnx(model, path)</c> for deployments outside .NET.
/// </summary>
public static class OnnxExportCatalog
{
    /// <summary>
    /// The model with its MlNetDeep networks computing in fp16 (weights stored as fp16, inputs and outputs still fp32);
    /// <paramref name="model"/> itself is left as it is. Run it on a GPU provider (<c>ml.UseOnnxExecution</c>) for speed;
    /// on the CPU, ONNX Runtime computes most operators in fp32 again, so it is slower there than the fp32 model.
    /// </summary>
    /// <param name="catalog">ML.NET's model catalog.</param>
    /// <param name="model">A fitted MlNetDeep model (not an int8-quantized one), or one loaded from model.zip.</param>
    /// <param name="inputData">Data with the model's input columns; only its schema is read.</param>
    /// <exception cref="ArgumentException">The model holds no MlNetDeep network, is already quantized, or the data does not fit it.</exception>
    public static ITransformer ConvertToFloat16(this ModelOperationsCatalog catalog, ITransformer model, IDataView inputData)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputData);
        return NetworkRewriting.Rewrite(model, inputData, nameof(inputData), (graph, _) =>
        {
            Float16Conversion.Convert(graph, weightsAsConstantNodes: true);
            return graph.Model.ToByteArray();
        });
    }

    /// <summary>
    /// Writes the model's MlNetDeep network as an ONNX file for ONNX Runtime, TensorRT or any ONNX consumer outside .NET;
    /// the file is written beside <paramref name="path"/> and moved into place, so a failed export leaves no partial file.
    /// The file holds the network only: ML.NET transforms before it in the pipeline (key mapping, normalization, image
    /// loading) are not part of it, while what the network itself does to its input (e.g. pixel standardization) is.
    /// </summary>
    /// <param name="catalog">ML.NET's model catalog.</param>
    /// <param name="model">A model holding one MlNetDeep network: fitted, loaded from model.zip, or returned by <c>Quantize</c> (an int8 file).</param>
    /// <param name="path">The ONNX file to write.</param>
    /// <param name="options">Precision and batch dimension; null for the defaults.</param>
    /// <exception cref="ArgumentException">The model holds no MlNetDeep network or several, or the options do not fit it.</exception>
    public static void ExportOnnx(this ModelOperationsCatalog catalog, ITransformer model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new OnnxExportOptions();
        options.Validate();
        var ml = new MLContext();
        var (_, steps) = ModelParts.Load(ml, model);
        var networks = NetworkRewriting.NetworkSteps(ml, steps);
        if (networks.Count > 1)
            throw new ArgumentException($"The model holds {networks.Count} MlNetDeep networks; an ONNX file holds one. Export a model with one of them.", nameof(model));
        var onnx = networks.Values.Single();
        if (options.Precision == OnnxPrecision.Float16)
        {
            var graph = new GraphEditor(ModelProto.Parser.ParseFrom(onnx));
            Float16Conversion.Convert(graph, weightsAsConstantNodes: false);
            onnx = graph.Model.ToByteArray();
        }
        if (options.BatchDimension && BatchedGraph.TryCreate(onnx, out _) is { } batched)
            onnx = batched.Model;

        var full = Path.GetFullPath(path);
        var temporary = full + ".writing";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(onnx);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, full, overwrite: true);
    }
}
