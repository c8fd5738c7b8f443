using MlNetDeep.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Tasks;

/// <summary>
/// What a network is trained to predict: how labels become targets, the loss and validation metric, the ONNX head, and the
/// ML.NET columns the fitted model outputs. The training engine and the architectures know nothing of the task.
/// </summary>
internal abstract class PredictionTask
{
    private static readonly PredictionTask[] All = [MulticlassTask.Instance, BinaryTask.Instance, RegressionTask.Instance];

    /// <summary>The task's identifier in saved models.</summary>
    public abstract string Id { get; }

    public static PredictionTask FromId(string id) =>
        All.FirstOrDefault(t => t.Id == id) ?? throw new InvalidDataException($"The model was trained for an unknown task '{id}'.");

    /// <summary>The task's name in messages, e.g. "multiclass classification".</summary>
    public abstract string Name { get; }

    /// <summary>The validation metric reported every epoch.</summary>
    public abstract string MetricName { get; }

    public abstract bool HigherMetricIsBetter { get; }

    /// <summary>The tensor type of targets: class indices or float values.</summary>
    public abstract ScalarType TargetType { get; }

    public virtual bool IsClassification => true;

    /// <summary>Whether a known-size vector label (several values per example) is accepted.</summary>
    public virtual bool AcceptsVectorLabels => false;

    /// <summary>Checks the label column's type before training; returns an error message or null.</summary>
    public abstract string? CheckLabelType(DataViewType type, bool isKey);

    /// <summary>
    /// Validates every target (naming the offending row), rewrites it in the task's encoding in place, and returns the class
    /// count (for regression: the values per label, 0 for a scalar label); this count travels with the trained network.
    /// <paramref name="knownClassCount"/> is the training data's count when checking validation data.
    /// </summary>
    public abstract int PrepareTargets(LabelColumn label, Span<float> targets, string dataName, int knownClassCount);

    /// <summary>The size of the network's output layer.</summary>
    public abstract long OutputSize(int classCount);

    /// <summary>
    /// Unreduced per-example loss of raw network outputs <c>[B, out]</c> against targets <c>[B]</c>; classification tasks
    /// soften the targets by <paramref name="labelSmoothing"/> (training only).
    /// </summary>
    public abstract Tensor Losses(Tensor output, Tensor target, double labelSmoothing = 0);

    /// <summary>Per-example terms whose mean gives the metric before <see cref="FinishMetric"/>.</summary>
    public abstract Tensor MetricTerms(Tensor output, Tensor target);

    public virtual double FinishMetric(double meanTerm) => meanTerm;

    /// <summary>Adds the inference head after the network output <c>[1, out]</c> and declares the ONNX graph outputs.</summary>
    public abstract void EmitHead(OnnxGraph graph, string networkOutput, int classCount, OutputColumns columns);

    /// <summary>ONNX output names, in the order the scoring transform asks for them.</summary>
    public abstract string[] OnnxOutputs(OutputColumns columns);

    /// <summary>The ML.NET transforms after the ONNX scorer that produce the output columns.</summary>
    public abstract IEstimator<ITransformer> OutputTransforms(MLContext ml, ClassValues? classes, int classCount, OutputColumns columns);

    /// <summary>The internal columns the output transforms leave behind (dropped at the end of scoring).</summary>
    public abstract string[] InternalColumns(int classCount);

    /// <summary>The columns the fitted model adds, as a schema, for estimator schema propagation.</summary>
    public abstract DataViewSchema OutputSchema(SchemaShape.Column label, OutputColumns columns);

    /// <summary>The class values used for <c>PredictedLabel</c>: the label key's values, or the class indices in the label's own type.</summary>
    public virtual ClassValues? ResolveClasses(LabelColumn label, int classCount) => null;
}

/// <summary>The names of the columns a fitted model adds (ML.NET's by default; settable in the trainer's options).</summary>
internal sealed record OutputColumns(string Score, string PredictedLabel, string Probability)
{
    public static OutputColumns Default { get; } = new(ColumnNames.Score, ColumnNames.PredictedLabel, ColumnNames.Probability);

    public static OutputColumns Of(DeepTrainerOptions options) => new(options.ScoreColumnName, options.PredictedLabelColumnName, options.ProbabilityColumnName);
}
