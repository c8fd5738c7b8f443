using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Onnx;
using MlNetDeep.Scoring;
using Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Tasks;

/// <summary>Regression of one value: squared-error loss, RMSE, Score = prediction.</summary>
internal sealed class RegressionTask : PredictionTask
{
    public static RegressionTask Instance { get; } = new();

    public override string Id => "regression";

    public override string Name => "regression";

    public override string MetricName => "rmse";

    public override bool HigherMetricIsBetter => false;

    public override ScalarType TargetType => ScalarType.Float32;

    public override bool IsClassification => false;

    public override string? CheckLabelType(DataViewType type, bool isKey) =>
        !isKey && (type == NumberDataViewType.Single || type == NumberDataViewType.Double || type == NumberDataViewType.UInt32)
            ? null
            : $"has type {type}; regression needs a Single, Double or UInt32 label";

    public override int PrepareTargets(LabelColumn label, Span<float> targets, string dataName, int knownClassCount)
    {
        for (var row = 0; row < targets.Length; row++)
        {
            if (!float.IsFinite(targets[row]))
                throw new InvalidDataException($"Label column '{label.Name}' has value {targets[row]} in row {row} of the {dataName}; regression labels must be finite.");
        }
        return 0;
    }

    public override long OutputSize(int classCount) => 1;

    public override Tensor Losses(Tensor output, Tensor target, double labelSmoothing = 0) => output.squeeze(1).sub(target).square();

    public override Tensor MetricTerms(Tensor output, Tensor target) => output.squeeze(1).sub(target).square();

    public override double FinishMetric(double meanTerm) => Math.Sqrt(meanTerm);

    public override void EmitHead(OnnxGraph graph, string networkOutput, int classCount)
    {
        graph.Node("Reshape", [networkOutput, graph.Constant(1L)], [ColumnNames.NetworkOutput]);
        graph.Output(ColumnNames.NetworkOutput, TensorProto.Types.DataType.Float, 1);
    }

    public override string[] OnnxOutputs => [ColumnNames.NetworkOutput];

    public override string[] InternalColumns => [ColumnNames.NetworkOutput];

    public override IEstimator<ITransformer> OutputTransforms(MLContext ml, ClassValues? classes) =>
        ml.Transforms.CustomMapping<SingleOutput, RegressionScore>(RegressionScoreMapping.Map, RegressionScoreMapping.ContractName, null, null);

    public override DataViewSchema OutputSchema(SchemaShape.Column label)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(ColumnNames.Score, NumberDataViewType.Single);
        return builder.ToSchema();
    }
}
