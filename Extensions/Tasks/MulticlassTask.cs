using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Onnx;
using MlNetDeep.Scoring;
using Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Tasks;

/// <summary>Softmax classification over K classes: cross-entropy loss, accuracy, Score = class probabilities, PredictedLabel of the label's key type.</summary>
internal sealed class MulticlassTask : PredictionTask
{
    public static MulticlassTask Instance { get; } = new();

    public override string Id => "multiclass";

    public override string Name => "multiclass classification";

    public override string MetricName => "accuracy";

    public override bool HigherMetricIsBetter => true;

    public override ScalarType TargetType => ScalarType.Int64;

    public override string? CheckLabelType(DataViewType type, bool isKey) =>
        isKey || type == NumberDataViewType.UInt32 || type == NumberDataViewType.Single || type == NumberDataViewType.Double
            ? null
            : $"has type {type}; multiclass classification needs a key label (use MapValueToKey) or class indices as UInt32, Single or Double";

    public override int PrepareTargets(LabelColumn label, Span<float> targets, string dataName, int knownClassCount)
    {
        var classCount = label.KeyCount > 0 ? label.KeyCount : knownClassCount;
        var max = -1f;
        var min = float.MaxValue;
        for (var row = 0; row < targets.Length; row++)
        {
            var target = targets[row];
            if (float.IsNaN(target))
                throw new InvalidDataException($"Label column '{label.Name}' has a missing value in row {row} of the {dataName}.");
            if (target < 0 || target != MathF.Floor(target) || (classCount > 0 && target >= classCount))
                throw new InvalidDataException(
                    $"Label column '{label.Name}' has value {target} in row {row} of the {dataName}; class indices must be whole numbers in [0, {(classCount > 0 ? classCount - 1 : "∞")}].");
            max = MathF.Max(max, target);
            min = MathF.Min(min, target);
        }
        if (classCount == 0)
            classCount = (int)max + 1;
        // Validation data (knownClassCount > 0) may hold one class; training data must hold two, whatever the key's size.
        if (classCount < 2 || (knownClassCount == 0 && targets.Length > 0 && min == max))
            throw new InvalidDataException(
                $"Label column '{label.Name}' holds a single class in the {dataName} (every label is class index {(targets.Length > 0 ? max : 0)}); classification needs at least two.");
        return classCount;
    }

    public override long OutputSize(int classCount) => classCount;

    public override Tensor Losses(Tensor output, Tensor target, double labelSmoothing = 0) =>
        nn.functional.cross_entropy(output, target, reduction: nn.Reduction.None, label_smoothing: labelSmoothing);

    public override Tensor MetricTerms(Tensor output, Tensor target) => output.argmax(1).eq(target).to(ScalarType.Float32);

    public override void EmitHead(OnnxGraph graph, string networkOutput, int classCount, OutputColumns columns)
    {
        var probabilities = graph.Node("Softmax", [networkOutput], OnnxGraph.Attribute("axis", 1L));
        graph.Node("Reshape", [probabilities, graph.Constant((long)classCount)], [columns.Score]);
        graph.Node("ArgMax", [networkOutput], [ColumnNames.PredictedIndexVector], OnnxGraph.Attribute("axis", 1L), OnnxGraph.Attribute("keepdims", 0L));
        graph.Output(columns.Score, TensorProto.Types.DataType.Float, classCount);
        graph.Output(ColumnNames.PredictedIndexVector, TensorProto.Types.DataType.Int64, 1);
    }

    public override string[] OnnxOutputs(OutputColumns columns) => [columns.Score, ColumnNames.PredictedIndexVector];

    public override string[] InternalColumns(int classCount) => [ColumnNames.PredictedIndexVector, ColumnNames.PredictedIndex, ColumnNames.PredictedValue];

    public override ClassValues ResolveClasses(LabelColumn label, int classCount)
    {
        if (label.Classes is { } keyValues)
            return keyValues;
        var type = label.Column.Type;
        return type == NumberDataViewType.Single ? new ClassValues(NumberDataViewType.Single, Enumerable.Range(0, classCount).Select(i => (float)i).ToArray())
            : type == NumberDataViewType.Double ? new ClassValues(NumberDataViewType.Double, Enumerable.Range(0, classCount).Select(i => (double)i).ToArray())
            : new ClassValues(NumberDataViewType.UInt32, Enumerable.Range(0, classCount).Select(i => (uint)i).ToArray());
    }

    public override IEstimator<ITransformer> OutputTransforms(MLContext ml, ClassValues? classes, int classCount, OutputColumns columns)
    {
        ArgumentNullException.ThrowIfNull(classes);
        // Index → class value → key with the class values as key values: PredictedLabel then has the label's key type,
        // and MapKeyToValue restores the original label.
        var lookup = ClassLookup.Create(ml, classes);
        return ml.Transforms.CustomMapping<PredictedIndexVector, PredictedIndex>(PredictedIndexMapping.Map, PredictedIndexMapping.ContractName, null, null)
            .Append(ml.Transforms.Conversion.MapValue(ColumnNames.PredictedValue, lookup.Map, lookup.Map.Schema[nameof(ClassLookupRow<int>.Index)],
                lookup.Map.Schema[nameof(ClassLookupRow<int>.Value)], ColumnNames.PredictedIndex))
            .Append(ml.Transforms.Conversion.MapValueToKey(columns.PredictedLabel, ColumnNames.PredictedValue, keyData: lookup.Values));
    }

    public override DataViewSchema OutputSchema(SchemaShape.Column label, OutputColumns columns)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(columns.Score, new VectorDataViewType(NumberDataViewType.Single, 2));
        builder.AddColumn(columns.PredictedLabel, new KeyDataViewType(typeof(uint), 2), KeyValuesShape.Of(label));
        return builder.ToSchema();
    }
}
