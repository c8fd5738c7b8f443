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
        return NetworkRewriting.Rewrite(model, calibrationData, "calibrationData", (graph, data) =>
        {
            var calibration = options.Mode == QuantizationMode.Static ? CalibrationRows(data, graph, options.CalibrationRows) : [];
            return QuantizeGraph(graph, calibration, options, options.KeepFloatLayers);
        });
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
        var layers = NetworkRewriting.NetworkSteps(ml, steps).Values.SelectMany(onnx => QuantizableLayers.Find(new GraphEditor(ModelProto.Parser.ParseFrom(onnx))).Select(l => l.Name)).Distinct().ToArray();
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

    /// <summary>
    /// A float model and its quantized form side by side on labelled data: accuracy, agreement of predicted labels, size
    /// of model.zip, and rows per second at each batch size through batch scoring (the median of three interleaved runs).
    /// </summary>
    /// <param name="catalog">ML.NET's model catalog.</param>
    /// <param name="floatModel">The fitted multiclass model.</param>
    /// <param name="quantizedModel">What <c>Quantize</c> returned for it (or any other model with the same columns).</param>
    /// <param name="evaluationData">Labelled rows; all are scored for accuracy, the first <paramref name="throughputRows"/> for speed.</param>
    /// <param name="labelColumnName">The label column (a key, as the models' evaluation expects).</param>
    /// <param name="batchSizes">Batch sizes to time; null for 1, 64 and 1024.</param>
    /// <param name="throughputRows">Rows scored per timed run. Default 4096.</param>
    /// <param name="execution">Where and how the models run while timed; null for the CPU with ONNX Runtime's defaults.</param>
    /// <param name="scoreColumnName">The models' score column.</param>
    /// <param name="predictedLabelColumnName">The models' predicted label column.</param>
    public static QuantizationReport CompareQuantized(this ModelOperationsCatalog catalog, ITransformer floatModel, ITransformer quantizedModel, IDataView evaluationData,
        string labelColumnName = "Label", IReadOnlyList<int>? batchSizes = null, int throughputRows = 4096, OnnxExecutionOptions? execution = null,
        string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel")
    {
        ArgumentNullException.ThrowIfNull(floatModel);
        ArgumentNullException.ThrowIfNull(quantizedModel);
        ArgumentNullException.ThrowIfNull(evaluationData);
        batchSizes ??= [1, 64, 1024];
        if (batchSizes.Count == 0 || batchSizes.Any(b => b < 1))
            throw new ArgumentOutOfRangeException(nameof(batchSizes), $"Every batch size must be at least 1, and at least one is needed (got [{string.Join(", ", batchSizes)}]).");
        ArgumentOutOfRangeException.ThrowIfLessThan(throughputRows, 1);
        var ml = new MLContext();
        var floatScored = floatModel.Transform(evaluationData);
        var quantizedScored = quantizedModel.Transform(evaluationData);
        var floatAccuracy = ml.MulticlassClassification.Evaluate(floatScored, labelColumnName, scoreColumnName, predictedLabelColumnName).MicroAccuracy;
        var quantizedAccuracy = ml.MulticlassClassification.Evaluate(quantizedScored, labelColumnName, scoreColumnName, predictedLabelColumnName).MicroAccuracy;
        var agreement = Agreement(floatScored, quantizedScored, predictedLabelColumnName);

        var timed = ml.Data.TakeRows(evaluationData, throughputRows);
        var throughput = batchSizes.Select(batchSize =>
        {
            var options = new BatchScoringOptions { BatchSize = batchSize, Execution = execution ?? new OnnxExecutionOptions() };
            using var floatBatched = catalog.WithBatchScoring(floatModel, options);
            using var quantizedBatched = catalog.WithBatchScoring(quantizedModel, options);
            RowsPerSecond(floatBatched, timed, scoreColumnName);
            RowsPerSecond(quantizedBatched, timed, scoreColumnName);
            var runs = Enumerable.Range(0, 3).Select(_ => (Float: RowsPerSecond(floatBatched, timed, scoreColumnName), Quantized: RowsPerSecond(quantizedBatched, timed, scoreColumnName))).ToArray();
            return new ThroughputComparison(batchSize, Median(runs.Select(r => r.Float)), Median(runs.Select(r => r.Quantized)));
        }).ToArray();
        return new QuantizationReport(floatAccuracy, quantizedAccuracy, agreement, SavedBytes(ml, floatModel, evaluationData), SavedBytes(ml, quantizedModel, evaluationData), throughput);
    }

    private static double Agreement(IDataView floatScored, IDataView quantizedScored, string predictedLabelColumnName)
    {
        using var first = floatScored.GetRowCursor([floatScored.Schema[predictedLabelColumnName]]);
        using var second = quantizedScored.GetRowCursor([quantizedScored.Schema[predictedLabelColumnName]]);
        var firstLabel = first.GetGetter<uint>(floatScored.Schema[predictedLabelColumnName]);
        var secondLabel = second.GetGetter<uint>(quantizedScored.Schema[predictedLabelColumnName]);
        long rows = 0, same = 0;
        uint a = 0, b = 0;
        while (first.MoveNext() && second.MoveNext())
        {
            firstLabel(ref a);
            secondLabel(ref b);
            rows++;
            same += a == b ? 1 : 0;
        }
        return rows == 0 ? double.NaN : (double)same / rows;
    }

    private static double RowsPerSecond(ITransformer model, IDataView data, string scoreColumnName)
    {
        var scored = model.Transform(data);
        var column = scored.Schema[scoreColumnName];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long rows = 0;
        using (var cursor = scored.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> scores = default;
            while (cursor.MoveNext())
            {
                getter(ref scores);
                rows++;
            }
        }
        return rows / clock.Elapsed.TotalSeconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static long SavedBytes(MLContext ml, ITransformer model, IDataView data)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return stream.Length;
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

/// <summary>Rows per second of a float model and its quantized form at one batch size, measured side by side.</summary>
/// <param name="BatchSize">Rows per ONNX Runtime call.</param>
/// <param name="FloatRowsPerSecond">The float model's median rows per second.</param>
/// <param name="QuantizedRowsPerSecond">The quantized model's median rows per second.</param>
public sealed record ThroughputComparison(int BatchSize, double FloatRowsPerSecond, double QuantizedRowsPerSecond)
{
    /// <summary>Quantized over float rows per second (above 1: the quantized model is faster).</summary>
    public double Speedup => QuantizedRowsPerSecond / FloatRowsPerSecond;
}

/// <summary>What <c>ml.Model.CompareQuantized</c> measured: a float model and its quantized form side by side.</summary>
/// <param name="FloatAccuracy">The float model's accuracy.</param>
/// <param name="QuantizedAccuracy">The quantized model's accuracy.</param>
/// <param name="Agreement">The fraction of rows both models give the same predicted label.</param>
/// <param name="FloatModelBytes">The float model's size as model.zip.</param>
/// <param name="QuantizedModelBytes">The quantized model's size as model.zip.</param>
/// <param name="Throughput">Rows per second at each batch size.</param>
public sealed record QuantizationReport(double FloatAccuracy, double QuantizedAccuracy, double Agreement, long FloatModelBytes, long QuantizedModelBytes,
    IReadOnlyList<ThroughputComparison> Throughput)
{
    /// <summary>Accuracy lost by quantization (positive: worse).</summary>
    public double AccuracyDrop => FloatAccuracy - QuantizedAccuracy;

    /// <summary>How many times smaller the quantized model.zip is.</summary>
    public double SizeRatio => (double)FloatModelBytes / QuantizedModelBytes;

    /// <summary>The report as a few lines of text, for a console or a log.</summary>
    public override string ToString()
    {
        var lines = new List<string>
        {
            FormattableString.Invariant($"accuracy {FloatAccuracy:F4} float, {QuantizedAccuracy:F4} int8 (drop {AccuracyDrop * 100:F2} points); predicted labels agree on {Agreement:P2}"),
            FormattableString.Invariant($"model.zip {FloatModelBytes / 1024.0:F0} KiB float, {QuantizedModelBytes / 1024.0:F0} KiB int8 ({SizeRatio:F2}x smaller)"),
        };
        lines.AddRange(Throughput.Select(t => FormattableString.Invariant($"batch {t.BatchSize,5}: {t.FloatRowsPerSecond,10:F0} rows/s float, {t.QuantizedRowsPerSecond,10:F0} rows/s int8 ({t.Speedup:F2}x)")));
        return string.Join(Environment.NewLine, lines);
    }
}
