using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep;

/// <summary>
/// A model before and after compression, layer by layer (parameters, sparsity, multiply-adds) with the task's metric on
/// the same data: accuracy for classification, RMSE for regression. From <c>ml.MulticlassClassification.EvaluateCompression(…)</c>
/// and its binary and regression counterparts.
/// </summary>
public sealed class CompressionReport
{
    internal CompressionReport(NetworkReport before, NetworkReport after, string metricName, double metricBefore, double metricAfter)
    {
        Before = before;
        After = after;
        MetricName = metricName;
        MetricBefore = metricBefore;
        MetricAfter = metricAfter;
    }

    /// <summary>The original network.</summary>
    public NetworkReport Before { get; }

    /// <summary>The compressed network.</summary>
    public NetworkReport After { get; }

    /// <summary>"accuracy" (classification) or "rmse" (regression).</summary>
    public string MetricName { get; }

    /// <summary>The original model's metric.</summary>
    public double MetricBefore { get; }

    /// <summary>The compressed model's metric.</summary>
    public double MetricAfter { get; }

    /// <summary>The report as text: both networks layer by layer (side by side when they have the same layers), then the metric.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Before.Layers.Count == After.Layers.Count)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{"layer",-5} {"kind (after)",-44} {"parameters",12} {"→ non-zero",12} {"sparsity",8} {"multiply-adds",14} {"→ non-zero",14}");
            for (var i = 0; i < Before.Layers.Count; i++)
            {
                var (b, a) = (Before.Layers[i], After.Layers[i]);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"{a.Name,-5} {a.Kind,-44} {b.Parameters,12:N0} {a.NonZeroParameters,12:N0} {(a.Sparsity is { } s ? s.ToString("P1", CultureInfo.InvariantCulture) : ""),8} {b.MultiplyAdds,14:N0} {a.NonZeroMultiplyAdds,14:N0}");
            }
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{"total",-5} {"",-44} {Before.Parameters,12:N0} {After.NonZeroParameters,12:N0} {"",8} {Before.MultiplyAdds,14:N0} {After.NonZeroMultiplyAdds,14:N0}");
        }
        else
        {
            text.AppendLine("before:").Append(Before).AppendLine("after:").Append(After);
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"{MetricName}: {MetricBefore:F4} before, {MetricAfter:F4} after");
        return text.ToString();
    }

    /// <summary>The MlNetDeep network inside a fitted model: the model itself, or the one in a chain of transformers.</summary>
    internal static TrainedNetwork NetworkOf(ITransformer model, string argument) =>
        FindNetworks(model).FirstOrDefault()
        ?? throw new ArgumentException($"The model passed as {argument} holds no MlNetDeep network (no DeepPredictionTransformer in it).", argument);

    private static IEnumerable<TrainedNetwork> FindNetworks(ITransformer model) => model switch
    {
        DeepPredictionTransformer deep => [deep.Network],
        IEnumerable<ITransformer> chain => chain.SelectMany(FindNetworks),
        _ => [],
    };
}

/// <summary>Compression reports from ML.NET's evaluation catalogs.</summary>
public static class CompressionReportCatalog
{
    /// <summary>Compares a multiclass model with its compressed version on <paramref name="data"/>: layers and accuracy (ML.NET's micro-accuracy).</summary>
    /// <param name="catalog">The multiclass catalog.</param>
    /// <param name="original">The original model (a chain holding an MlNetDeep network, or the network's transformer).</param>
    /// <param name="compressed">The compressed model.</param>
    /// <param name="data">Labelled data both models score.</param>
    /// <param name="labelColumnName">The label, a key as the models' Score is indexed.</param>
    /// <param name="scoreColumnName">The class probabilities the models output.</param>
    /// <param name="predictedLabelColumnName">The predicted label (a key) the models output.</param>
    public static CompressionReport EvaluateCompression(this MulticlassClassificationCatalog catalog, ITransformer original, ITransformer compressed, IDataView data,
        string labelColumnName = "Label", string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        double Accuracy(ITransformer model) => catalog.Evaluate(model.Transform(data), labelColumnName, scoreColumnName, predictedLabelColumnName).MicroAccuracy;
        return Report(original, compressed, "accuracy", Accuracy);
    }

    /// <summary>Compares a binary model with its compressed version on <paramref name="data"/>: layers and accuracy.</summary>
    /// <param name="catalog">The binary catalog.</param>
    /// <param name="original">The original model.</param>
    /// <param name="compressed">The compressed model.</param>
    /// <param name="data">Labelled data both models score.</param>
    /// <param name="labelColumnName">The Boolean label.</param>
    /// <param name="scoreColumnName">The score the models output.</param>
    /// <param name="predictedLabelColumnName">The predicted label the models output.</param>
    public static CompressionReport EvaluateCompression(this BinaryClassificationCatalog catalog, ITransformer original, ITransformer compressed, IDataView data,
        string labelColumnName = "Label", string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        double Accuracy(ITransformer model) => catalog.EvaluateNonCalibrated(model.Transform(data), labelColumnName, scoreColumnName, predictedLabelColumnName).Accuracy;
        return Report(original, compressed, "accuracy", Accuracy);
    }

    /// <summary>Compares a regression model with its compressed version on <paramref name="data"/>: layers and RMSE.</summary>
    /// <param name="catalog">The regression catalog.</param>
    /// <param name="original">The original model.</param>
    /// <param name="compressed">The compressed model.</param>
    /// <param name="data">Labelled data both models score.</param>
    /// <param name="labelColumnName">The label.</param>
    /// <param name="scoreColumnName">The prediction the models output.</param>
    public static CompressionReport EvaluateCompression(this RegressionCatalog catalog, ITransformer original, ITransformer compressed, IDataView data,
        string labelColumnName = "Label", string scoreColumnName = "Score")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        double Rmse(ITransformer model) => catalog.Evaluate(model.Transform(data), labelColumnName, scoreColumnName).RootMeanSquaredError;
        return Report(original, compressed, "rmse", Rmse);
    }

    private static CompressionReport Report(ITransformer original, ITransformer compressed, string metric, Func<ITransformer, double> evaluate)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        var before = NetworkReport.Of(CompressionReport.NetworkOf(original, nameof(original)));
        var after = NetworkReport.Of(CompressionReport.NetworkOf(compressed, nameof(compressed)));
        return new CompressionReport(before, after, metric, evaluate(original), evaluate(compressed));
    }
}
