using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Registry;

/// <summary>
/// Named metric values of a version, e.g. <c>micro_accuracy</c>, <c>test.rmse</c>, <c>per_class_log_loss[Sneaker]</c>.
/// ML.NET's metric objects and any report object are flattened into it; values that are not finite (ML.NET reports NaN
/// for metrics it could not compute) are left out of the flattened forms.
/// </summary>
public sealed class MetricSet : IReadOnlyDictionary<string, double>
{
    private const int MaximumFlattenedValues = 10_000;
    private static readonly string[] LabelProperties = ["Label", "label", "Class", "class", "ClassName", "Name", "name"];
    private readonly SortedDictionary<string, double> values = new(StringComparer.Ordinal);

    /// <summary>Sets metric <paramref name="name"/> to <paramref name="value"/> (replacing an earlier value).</summary>
    /// <exception cref="ArgumentException">The name is empty, too long or has control characters, or the value is NaN or infinite.</exception>
    public MetricSet Add(string name, double value)
    {
        RegistryNames.ValidateMetricName(name, nameof(name));
        if (!double.IsFinite(value))
            throw new ArgumentException($"Metric '{name}' is {value}; only finite values can be recorded.", nameof(value));
        values[name] = value;
        return this;
    }

    /// <summary>
    /// The class names of a key-typed label column in key order, which is the order of ML.NET's per-class metrics (not
    /// necessarily the order of a list of names: MapValueToKey numbers classes by first occurrence unless told otherwise).
    /// </summary>
    /// <param name="schema">The schema of the scored data (or of the data after the label was mapped to a key).</param>
    /// <param name="labelColumnName">The label column.</param>
    /// <exception cref="ArgumentException">The column is missing, is not a key, or has no key values.</exception>
    public static IReadOnlyList<string> ClassNamesOf(DataViewSchema schema, string labelColumnName = "Label")
    {
        ArgumentNullException.ThrowIfNull(schema);
        var column = schema.GetColumnOrNull(labelColumnName)
            ?? throw new ArgumentException($"The schema has no column '{labelColumnName}'.", nameof(labelColumnName));
        if (column.Type is not KeyDataViewType || !column.HasKeyValues())
            throw new ArgumentException($"Column '{labelColumnName}' ({column.Type}) is not a key column with key values; map it with MapValueToKey first.", nameof(labelColumnName));
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetKeyValues(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    /// <summary>
    /// Adds micro/macro accuracy, log-loss, log-loss reduction, top-k accuracy and the per-class log-loss, precision and
    /// recall, named after <paramref name="classNames"/> in key order (<see cref="ClassNamesOf"/>), or the class index.
    /// </summary>
    public MetricSet Add(MulticlassClassificationMetrics metrics, string prefix = "", IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        TryAdd(prefix, "micro_accuracy", metrics.MicroAccuracy);
        TryAdd(prefix, "macro_accuracy", metrics.MacroAccuracy);
        TryAdd(prefix, "log_loss", metrics.LogLoss);
        TryAdd(prefix, "log_loss_reduction", metrics.LogLossReduction);
        if (metrics.TopKPredictionCount > 0)
            TryAdd(prefix, $"top_{metrics.TopKPredictionCount}_accuracy", metrics.TopKAccuracy);
        for (var k = 0; k < (metrics.TopKAccuracyForAllK?.Count ?? 0); k++)
            TryAdd(prefix, $"top_{k + 1}_accuracy", metrics.TopKAccuracyForAllK![k]);
        AddPerClass(prefix, "per_class_log_loss", metrics.PerClassLogLoss, classNames);
        AddPerClass(prefix, "per_class_precision", metrics.ConfusionMatrix?.PerClassPrecision, classNames);
        AddPerClass(prefix, "per_class_recall", metrics.ConfusionMatrix?.PerClassRecall, classNames);
        return this;
    }

    /// <summary>
    /// Adds accuracy, AUC, AUPRC, F1 and the positive and negative precision and recall; for
    /// <see cref="CalibratedBinaryClassificationMetrics"/> also log-loss, log-loss reduction and entropy.
    /// </summary>
    public MetricSet Add(BinaryClassificationMetrics metrics, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(metrics);
        TryAdd(prefix, "accuracy", metrics.Accuracy);
        TryAdd(prefix, "area_under_roc_curve", metrics.AreaUnderRocCurve);
        TryAdd(prefix, "area_under_precision_recall_curve", metrics.AreaUnderPrecisionRecallCurve);
        TryAdd(prefix, "f1_score", metrics.F1Score);
        TryAdd(prefix, "positive_precision", metrics.PositivePrecision);
        TryAdd(prefix, "positive_recall", metrics.PositiveRecall);
        TryAdd(prefix, "negative_precision", metrics.NegativePrecision);
        TryAdd(prefix, "negative_recall", metrics.NegativeRecall);
        if (metrics is CalibratedBinaryClassificationMetrics calibrated)
        {
            TryAdd(prefix, "log_loss", calibrated.LogLoss);
            TryAdd(prefix, "log_loss_reduction", calibrated.LogLossReduction);
            TryAdd(prefix, "entropy", calibrated.Entropy);
        }
        return this;
    }

    /// <summary>Adds MAE, MSE, RMSE, the loss function's mean and R².</summary>
    public MetricSet Add(RegressionMetrics metrics, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(metrics);
        TryAdd(prefix, "mean_absolute_error", metrics.MeanAbsoluteError);
        TryAdd(prefix, "mean_squared_error", metrics.MeanSquaredError);
        TryAdd(prefix, "root_mean_squared_error", metrics.RootMeanSquaredError);
        TryAdd(prefix, "loss_function", metrics.LossFunction);
        TryAdd(prefix, "r_squared", metrics.RSquared);
        return this;
    }

    /// <summary>
    /// Adds every number in <paramref name="report"/> (any object, written as JSON with System.Text.Json, or a JSON node):
    /// nested members as <c>a.b</c>, list items as <c>a[i]</c>, or <c>a[label]</c> when the items carry a label, class or
    /// name. MlNetDeep's ClassificationReport gives, e.g., <c>MacroF1</c> and <c>PerClass[Sneaker].F1Score</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The report holds more than 10,000 numbers.</exception>
    public MetricSet AddFrom(object report, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(report);
        var node = HyperparameterJson.ToNode(report);
        var found = new List<KeyValuePair<string, double>>();
        Flatten(node, prefix, found);
        if (found.Count > MaximumFlattenedValues)
            throw new ArgumentException($"The {report.GetType().Name} report holds {found.Count} numbers; at most {MaximumFlattenedValues} can be added at once. Add the ones that matter by name.", nameof(report));
        foreach (var (name, value) in found)
            TryAdd("", name, value);
        return this;
    }

    /// <inheritdoc />
    public double this[string key] => values[key];

    /// <inheritdoc />
    public IEnumerable<string> Keys => values.Keys;

    /// <inheritdoc />
    public IEnumerable<double> Values => values.Values;

    /// <inheritdoc />
    public int Count => values.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => values.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out double value) => values.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void TryAdd(string prefix, string name, double value)
    {
        if (!double.IsFinite(value))
            return;
        var full = prefix.Length == 0 ? name : $"{prefix}.{name}";
        RegistryNames.ValidateMetricName(full, nameof(prefix));
        values[full] = value;
    }

    private void AddPerClass(string prefix, string name, IReadOnlyList<double>? perClass, IReadOnlyList<string>? classNames)
    {
        if (perClass is null)
            return;
        for (var i = 0; i < perClass.Count; i++)
        {
            var label = classNames is not null && i < classNames.Count ? classNames[i] : i.ToString(CultureInfo.InvariantCulture);
            TryAdd(prefix, $"{name}[{label}]", perClass[i]);
        }
    }

    private static void Flatten(JsonNode? node, string path, List<KeyValuePair<string, double>> found)
    {
        if (found.Count > MaximumFlattenedValues)
            return;
        switch (node)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                if (path.Length > 0)
                    found.Add(new(path, double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture)));
                break;
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    if (name != "$type")
                        Flatten(child, path.Length == 0 ? name : $"{path}.{name}", found);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var label = array[i] is JsonObject item ? LabelProperties.Select(p => item[p]).OfType<JsonValue>()
                        .FirstOrDefault(v => v.GetValueKind() == JsonValueKind.String)?.GetValue<string>() : null;
                    Flatten(array[i], $"{path}[{label ?? i.ToString(CultureInfo.InvariantCulture)}]", found);
                }
                break;
        }
    }
}
