using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Onnx;
using MlNetDeep.Scoring;
using Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Tasks;

/// <summary>Two-class classification with one logit: binary cross-entropy, accuracy, Score = logit, Probability = sigmoid, PredictedLabel = Score &gt; 0.</summary>
internal sealed class BinaryTask : PredictionTask
{
    public static BinaryTask Instance { get; } = new();

    public override string Id => "binary";

    public override string Name => "binary classification";

    public override string MetricName => "accuracy";

    public override bool HigherMetricIsBetter => true;

    public override ScalarType TargetType => ScalarType.Float32;

    public override string? CheckLabelType(DataViewType type, bool isKey) =>
        isKey || type == BooleanDataViewType.Instance || type == NumberDataViewType.Single || type == NumberDataViewType.Double || type == NumberDataViewType.UInt32
            ? null
            : $"has type {type}; binary classification needs a Boolean label (or a two-value key, or numbers where > 0 is the positive class)";

    public override int PrepareTargets(LabelColumn label, Span<float> targets, string dataName, int knownClassCount)
    {
        if (label.KeyCount is > 0 and not 2)
            throw new InvalidDataException($"Label column '{label.Name}' is a key with {label.KeyCount} values; binary classification needs exactly two.");
        var positives = 0;
        for (var row = 0; row < targets.Length; row++)
        {
            if (float.IsNaN(targets[row]))
                throw new InvalidDataException($"Label column '{label.Name}' has a missing value in row {row} of the {dataName}.");
            targets[row] = targets[row] > 0 ? 1f : 0f; // ML.NET's convention: a numeric label > 0 is the positive class
            positives += (int)targets[row];
        }
        // Validation data (knownClassCount 2) may hold one class; training data must hold both.
        if (knownClassCount == 0 && targets.Length > 0 && (positives == 0 || positives == targets.Length))
            throw new InvalidDataException(
                $"Label column '{label.Name}' holds a single class in the {dataName}: all {targets.Length} labels are {(positives == 0 ? "negative (false, or ≤ 0)" : "positive (true, or > 0)")}; binary classification needs examples of both.");
        return 2;
    }

    public override long OutputSize(int classCount) => 1;

    public override Tensor Losses(Tensor output, Tensor target, double labelSmoothing = 0) =>
        nn.functional.binary_cross_entropy_with_logits(output.squeeze(1), labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / 2 : target, reduction: nn.Reduction.None);

    public override Tensor MetricTerms(Tensor output, Tensor target) => output.squeeze(1).gt(0).to(ScalarType.Float32).eq(target).to(ScalarType.Float32);

    public override void EmitHead(OnnxGraph graph, string networkOutput, int classCount, OutputColumns columns)
    {
        graph.Node("Reshape", [networkOutput, graph.Constant(1L)], [ColumnNames.NetworkOutput]);
        graph.Output(ColumnNames.NetworkOutput, TensorProto.Types.DataType.Float, 1);
    }

    public override string[] OnnxOutputs(OutputColumns columns) => [ColumnNames.NetworkOutput];

    public override string[] InternalColumns(int classCount) => [ColumnNames.NetworkOutput, ColumnNames.ScalarScore, ColumnNames.ScalarProbability, ColumnNames.BooleanPrediction];

    public override IEstimator<ITransformer> OutputTransforms(MLContext ml, ClassValues? classes, int classCount, OutputColumns columns) =>
        ml.Transforms.CustomMapping<SingleOutput, BinaryPrediction>(BinaryPredictionMapping.Map, BinaryPredictionMapping.ContractName, null, null)
            .Append(ml.Transforms.CopyColumns(columns.Score, ColumnNames.ScalarScore))
            .Append(ml.Transforms.CopyColumns(columns.Probability, ColumnNames.ScalarProbability))
            .Append(ml.Transforms.CopyColumns(columns.PredictedLabel, ColumnNames.BooleanPrediction));

    public override DataViewSchema OutputSchema(SchemaShape.Column label, OutputColumns columns)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(columns.Score, NumberDataViewType.Single);
        builder.AddColumn(columns.Probability, NumberDataViewType.Single);
        builder.AddColumn(columns.PredictedLabel, BooleanDataViewType.Instance);
        return builder.ToSchema();
    }
}
