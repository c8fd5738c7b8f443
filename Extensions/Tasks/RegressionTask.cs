using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Onnx;
using MlNetDeep.Scoring;
using Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Tasks;

/// <summary>
/// Regression of one value, or of several (a known-size Single vector label, e.g. a forecast's next values): squared-error
/// loss, RMSE over all values, Score = prediction (a vector of the label's size for a vector label).
/// </summary>
internal sealed class RegressionTask : PredictionTask
{
    public static RegressionTask Instance { get; } = new();

    public override string Id => "regression";

    public override string Name => "regression";

    public override string MetricName => "rmse";

    public override bool HigherMetricIsBetter => false;

    public override ScalarType TargetType => ScalarType.Float32;

    public override bool IsClassification => false;

    public override bool AcceptsVectorLabels => true;

    public override string? CheckLabelType(DataViewType type, bool isKey) =>
        !isKey && (type == NumberDataViewType.Single || type == NumberDataViewType.Double || type == NumberDataViewType.UInt32
                   || type is VectorDataViewType { IsKnownSize: true, ItemType: var item } && item == NumberDataViewType.Single)
            ? null
            : $"has type {type}; regression needs a Single, Double or UInt32 label, or a known-size Single vector for several values";

    /// <summary>Checks every value is finite; returns the label's vector size (values per row), or 0 for a scalar label.</summary>
    public override int PrepareTargets(LabelColumn label, Span<float> targets, string dataName, int knownClassCount)
    {
        for (var i = 0; i < targets.Length; i++)
        {
            if (!float.IsFinite(targets[i]))
                throw new InvalidDataException(
                    $"Label column '{label.Name}' has value {targets[i]} in row {i / label.Size}{(label.Size > 1 ? $", slot {i % label.Size}" : "")} of the {dataName}; regression labels must be finite.");
        }
        return label.Column.Type is VectorDataViewType ? label.Size : 0;
    }

    public override long OutputSize(int classCount) => Math.Max(classCount, 1);

    public override Tensor Losses(Tensor output, Tensor target, double labelSmoothing = 0) => SquaredErrors(output, target);

    public override Tensor MetricTerms(Tensor output, Tensor target) => SquaredErrors(output, target);

    /// <summary>Each example's squared error, averaged over its values: outputs [B, T] against targets [B] (T = 1) or [B, T].</summary>
    private static Tensor SquaredErrors(Tensor output, Tensor target) => output.sub(target.view(output.shape)).square().mean([1]);

    public override double FinishMetric(double meanTerm) => Math.Sqrt(meanTerm);

    public override void EmitHead(OnnxGraph graph, string networkOutput, int classCount, OutputColumns columns)
    {
        var size = OutputSize(classCount);
        graph.Node("Reshape", [networkOutput, graph.Constant(size)], [ColumnNames.NetworkOutput]);
        graph.Output(ColumnNames.NetworkOutput, TensorProto.Types.DataType.Float, size);
    }

    public override string[] OnnxOutputs(OutputColumns columns) => [ColumnNames.NetworkOutput];

    public override string[] InternalColumns(int classCount) => classCount == 0 ? [ColumnNames.NetworkOutput, ColumnNames.ScalarScore] : [ColumnNames.NetworkOutput];

    public override IEstimator<ITransformer> OutputTransforms(MLContext ml, ClassValues? classes, int classCount, OutputColumns columns) => classCount == 0
        ? ml.Transforms.CustomMapping<SingleOutput, RegressionScore>(RegressionScoreMapping.Map, RegressionScoreMapping.ContractName, null, null)
            .Append(ml.Transforms.CopyColumns(columns.Score, ColumnNames.ScalarScore))
        : ml.Transforms.CopyColumns(columns.Score, ColumnNames.NetworkOutput);

    public override DataViewSchema OutputSchema(SchemaShape.Column label, OutputColumns columns)
    {
        var builder = new DataViewSchema.Builder();
        // A schema shape keeps no vector sizes, so any known size gives the right shape (a Single vector).
        builder.AddColumn(columns.Score, label.Kind == SchemaShape.Column.VectorKind.Vector ? new VectorDataViewType(NumberDataViewType.Single, 1) : NumberDataViewType.Single);
        return builder.ToSchema();
    }
}
