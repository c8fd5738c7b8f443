using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using MlNetDeep.Quantization;
using MlNetDeep.Scoring;
using Onnx;

namespace MlNetDeep;

/// <summary>
/// INT8 quantization of fitted MlNetDeep models on ML.NET's model catalog: <c>ml.Model.Quantize(model, calibrationData)</c>
/// returns an ordinary ML.NET model whose network runs in int8 — it saves to model.zip, loads in any process with
/// MlNetDeep.Scoring and ML.NET, and predicts through a <c>PredictionEngine</c> like the float model.
/// </summary>
public static class QuantizationCatalog
{
    private const string NetworkMetadataKey = "mlnetdeep.network";

    /// <summary>
    /// The model with its MlNetDeep network quantized to int8; <paramref name="model"/> itself is left as it is. Dynamic
    /// quantization (the default) stores fully connected and attention projection weights as int8 and quantizes their
    /// inputs at run time; static quantization also quantizes activations with ranges calibrated on
    /// <paramref name="calibrationData"/> (e.g. 1,000 training rows) and covers convolutions.
    /// </summary>
    /// <param name="catalog">ML.NET's model catalog.</param>
    /// <param name="model">A fitted MlNetDeep model (or a pipeline holding one), or one loaded from model.zip.</param>
    /// <param name="calibrationData">Data with the model's input columns: its first <see cref="QuantizationOptions.CalibrationRows"/> rows calibrate static quantization; dynamic quantization checks its schema only.</param>
    /// <param name="options">Mode, calibration, weight granularity, layers kept in float; null for the defaults.</param>
    /// <exception cref="ArgumentException">The model holds no MlNetDeep network, or the calibration data does not fit it.</exception>
    public static ITransformer Quantize(this ModelOperationsCatalog catalog, ITransformer model, IDataView calibrationData, QuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(calibrationData);
        options ??= new QuantizationOptions();
        options.Validate();
        var ml = new MLContext();
        var (_, steps) = ModelParts.Load(ml, model);
        var networks = NetworkSteps(ml, steps);
        CheckSchema(model, calibrationData);
        var rebuilt = new List<ITransformer>();
        var data = calibrationData;
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (networks.TryGetValue(i, out var onnx))
            {
                var graph = new GraphEditor(ModelProto.Parser.ParseFrom(onnx));
                var calibration = options.Mode == QuantizationMode.Static ? CalibrationRows(data, graph, options.CalibrationRows) : [];
                var quantized = QuantizeGraph(graph, calibration, options, options.KeepFloatLayers);
                step = Rescore(ml, (OnnxTransformer)step, quantized, data);
            }
            rebuilt.Add(step);
            data = step.Transform(data);
        }
        return new TransformerChain<ITransformer>(rebuilt.ToArray());
    }

    /// <summary>
    /// How much each quantizable layer costs in accuracy when it alone is quantized (static quantization with
    /// <paramref name="options"/>' calibration, or dynamic): the layers to keep in float when the whole model loses too much.
    /// </summary>
    /// <param name="catalog">ML.NET's model catalog.</param>
    /// <param name="model">A fitted multiclass MlNetDeep model.</param>
    /// <param name="calibrationData">Rows to calibrate on (e.g. training rows).</param>
    /// <param name="evaluationData">Labelled rows to measure accuracy on.</param>
    /// <param name="labelColumnName">The label column of <paramref name="evaluationData"/> (a key, as the model's evaluation expects).</param>
    /// <param name="options">Mode and calibration; null for the defaults.</param>
    public static IReadOnlyList<LayerSensitivity> QuantizationSensitivity(this ModelOperationsCatalog catalog, ITransformer model, IDataView calibrationData,
        IDataView evaluationData, string labelColumnName = "Label", QuantizationOptions? options = null)
    {
        options ??= new QuantizationOptions();
        options.Validate();
        var ml = new MLContext();
        var baseline = ml.MulticlassClassification.Evaluate(model.Transform(evaluationData), labelColumnName).MicroAccuracy;
        var (_, steps) = ModelParts.Load(ml, model);
        var layers = NetworkSteps(ml, steps).Values.SelectMany(onnx => QuantizableLayers.Find(new GraphEditor(ModelProto.Parser.ParseFrom(onnx))).Select(l => l.Name)).Distinct().ToArray();
        return layers.Select(layer =>
        {
            var alone = new QuantizationOptions
            {
                Mode = options.Mode, Weights = options.Weights, Calibration = options.Calibration, Percentile = options.Percentile,
                CalibrationRows = options.CalibrationRows, KeepFloatLayers = layers.Where(l => l != layer).ToArray(),
            };
            var quantized = catalog.Quantize(model, calibrationData, alone);
            var accuracy = ml.MulticlassClassification.Evaluate(quantized.Transform(evaluationData), labelColumnName).MicroAccuracy;
            (quantized as IDisposable)?.Dispose();
            return new LayerSensitivity(layer, baseline, accuracy);
        }).ToArray();
    }

    /// <summary>The quantized ONNX model for <paramref name="graph"/>, with the layers <paramref name="keepFloat"/> names left in float.</summary>
    internal static byte[] QuantizeGraph(GraphEditor graph, IReadOnlyList<float[]> calibration, QuantizationOptions options, IReadOnlyList<string> keepFloat)
    {
        var selectionOptions = new QuantizationOptions { KeepFloatLayers = keepFloat, KeepFirstLayerFloat = options.KeepFirstLayerFloat, KeepLastLayerFloat = options.KeepLastLayerFloat };
        if (options.Mode == QuantizationMode.Dynamic)
        {
            DynamicQuantizer.Quantize(graph, QuantizableLayers.Selected(QuantizableLayers.Find(graph), selectionOptions), options.Weights);
            return graph.Model.ToByteArray();
        }
        BatchNormFolding.Fold(graph);
        var layers = QuantizableLayers.Selected(QuantizableLayers.Find(graph), selectionOptions);
        var (tensors, rangeOf, edges) = StaticQuantizer.TensorsToCalibrate(graph, layers);
        var calibrated = rangeOf.Values.Distinct().ToArray();
        var ranges = ActivationRanges.Calibrate(graph.Model, calibrated, calibration, options.Calibration, options.Percentile);
        // Clipping suits activations inside the network, not its edges: in the input, rare large values are the signal
        // (a bright stroke, a peak), and clipped logits lose the margin between classes. Edges keep their full range.
        if (options.Calibration != CalibrationMethod.MinMax && edges.Count > 0)
        {
            foreach (var (tensor, range) in ActivationRanges.Calibrate(graph.Model, edges.ToArray(), calibration, CalibrationMethod.MinMax, 100))
                ranges[tensor] = range;
        }
        StaticQuantizer.Quantize(graph, layers, rangeOf, ranges, options.Weights);
        return graph.Model.ToByteArray();
    }

    /// <summary>The ONNX graphs of the model's MlNetDeep networks, by the index of their scorer among the steps.</summary>
    private static Dictionary<int, byte[]> NetworkSteps(MLContext ml, IReadOnlyList<ITransformer> steps)
    {
        var networks = new Dictionary<int, byte[]>();
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is OnnxTransformer scorer && ModelParts.OnnxBytes(ml, scorer) is var onnx && ModelProto.Parser.ParseFrom(onnx).MetadataProps.Any(p => p.Key == NetworkMetadataKey))
                networks[i] = onnx;
        }
        if (networks.Count == 0)
            throw new ArgumentException("The model holds no MlNetDeep network: quantization works on the networks MlNetDeep's trainers fit (it rewrites their ONNX graphs).", "model");
        return networks;
    }

    private static void CheckSchema(ITransformer model, IDataView data)
    {
        try
        {
            model.GetOutputSchema(data.Schema);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"The calibration data does not fit the model: {e.Message}", "calibrationData", e);
        }
    }

    /// <summary>The first <paramref name="count"/> values of the graph's input column in <paramref name="data"/>; zero rows or a non-finite value is an error naming the column and row.</summary>
    private static float[][] CalibrationRows(IDataView data, GraphEditor graph, int count)
    {
        var name = graph.Graph.Input.Single(i => graph.Initializer(i.Name) is null).Name;
        var column = data.Schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The calibration data has no column '{name}', which the network reads.", "calibrationData");
        var rows = new List<float[]>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> values = default;
        while (rows.Count < count && cursor.MoveNext())
        {
            getter(ref values);
            var row = values.DenseValues().ToArray();
            var bad = Array.FindIndex(row, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new ArgumentException($"Calibration column '{name}' has value {row[bad]} in row {cursor.Position}, slot {bad}; calibration needs finite values.", "calibrationData");
            rows.Add(row);
        }
        if (rows.Count == 0)
            throw new ArgumentException("The calibration data has no rows; static quantization calibrates activation ranges on at least one.", "calibrationData");
        return rows.ToArray();
    }

    /// <summary>An ONNX scorer like <paramref name="scorer"/> (same input and output columns) running <paramref name="onnx"/>.</summary>
    private static ITransformer Rescore(MLContext ml, OnnxTransformer scorer, byte[] onnx, IDataView input)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = model.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name).ToArray();
        var outputs = model.Graph.Output.Select(o => o.Name).ToArray();
        return ml.Transforms.ApplyOnnxModel(outputs, inputs, new MemoryStream(onnx), shapeDictionary: null, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100).Fit(input);
    }
}

/// <summary>The accuracy of a model with one layer quantized, against the float model's.</summary>
/// <param name="Layer">The layer's name (usable in <see cref="QuantizationOptions.KeepFloatLayers"/>).</param>
/// <param name="FloatAccuracy">The float model's accuracy.</param>
/// <param name="QuantizedAccuracy">The accuracy with only this layer quantized.</param>
public sealed record LayerSensitivity(string Layer, double FloatAccuracy, double QuantizedAccuracy)
{
    /// <summary>Accuracy lost by quantizing this layer alone (positive: worse).</summary>
    public double AccuracyDrop => FloatAccuracy - QuantizedAccuracy;
}
