using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Compression;

namespace MlNetDeep;

/// <summary>
/// An ML.NET estimator that trains an MlNetDeep <em>student</em> against a fitted <em>teacher</em> — any ML.NET model that
/// scores the same data: an MlNetDeep network, a fine-tuned ResNet18, LightGbm, FastTree (one-versus-all), a whole
/// pipeline. Before training it checks the teacher's output against the label and computes the teacher's outputs
/// (<see cref="DistillationOptions.TeacherOutputs"/>); the fitted model is the student's alone — its model.zip holds
/// nothing of the teacher. Create it with <c>ml.MulticlassClassification.Trainers.Distill(student, teacher, options)</c>
/// (or the binary and regression catalogs).
/// </summary>
public sealed class DistillationTrainer : IEstimator<DeepPredictionTransformer>
{
    private readonly MLContext ml = new();
    private readonly DeepTrainer student;
    private readonly ITransformer teacher;
    private readonly DistillationKind kind;

    internal DistillationTrainer(DeepTrainer student, ITransformer teacher, DistillationOptions options, DistillationKind kind)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var expected = kind switch { DistillationKind.Multiclass => "multiclass", DistillationKind.Binary => "binary", _ => "regression" };
        if (student.Task.Id != expected)
            throw new ArgumentException($"The student trains for {student.Task.Name}, but this Distill is in the {expected} catalog; pass a {expected} trainer as the student.", nameof(student));
        this.student = student;
        this.teacher = teacher;
        this.kind = kind;
        Options = options;
    }

    /// <summary>The distillation options.</summary>
    public DistillationOptions Options { get; }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => student.GetOutputSchema(inputSchema);

    /// <summary>Trains the student on <paramref name="input"/> against the teacher's outputs for it.</summary>
    public DeepPredictionTransformer Fit(IDataView input) => Train(input, null);

    /// <summary>Trains the student on <paramref name="trainData"/>, validating every epoch on <paramref name="validationData"/> with the student's own task loss.</summary>
    public DeepPredictionTransformer Fit(IDataView trainData, IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(validationData);
        return Train(trainData, validationData);
    }

    private DeepPredictionTransformer Train(IDataView trainData, IDataView? validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var width = CheckTeacher(trainData);
        using var outputs = TeacherFor(trainData, width);
        var distilling = student.WithCallbacks(new KnowledgeDistillation(outputs, Options, kind));
        return validationData is null ? distilling.Fit(trainData) : distilling.Fit(trainData, validationData);
    }

    /// <summary>Checks that the teacher scores the data into a column that fits the student's label; returns the outputs per example.</summary>
    private int CheckTeacher(IDataView data)
    {
        var scoreName = Options.TeacherScoreColumnName;
        DataViewSchema scored;
        try
        {
            scored = teacher.GetOutputSchema(data.Schema);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"The teacher cannot score the training data: {e.Message}", nameof(data), e);
        }
        var score = scored.GetColumnOrNull(scoreName)
            ?? throw new ArgumentOutOfRangeException(nameof(DistillationOptions.TeacherScoreColumnName), scoreName,
                $"Option TeacherScoreColumnName names '{scoreName}', but the teacher's output has no such column (it has {string.Join(", ", scored.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}).");
        var labelName = student.Options.LabelColumnName;
        var label = data.Schema.GetColumnOrNull(labelName)
            ?? throw new ArgumentOutOfRangeException(nameof(data), $"Label column '{labelName}' is not in the data.");
        var scoreSize = score.Type switch
        {
            VectorDataViewType { ItemType: var item, IsKnownSize: true } vector when item == NumberDataViewType.Single => vector.Size,
            var t when t == NumberDataViewType.Single => 0,
            _ => throw new ArgumentOutOfRangeException(nameof(DistillationOptions.TeacherScoreColumnName), scoreName,
                $"The teacher's column '{scoreName}' has type {score.Type}; a teacher must output a Single value or a known-size Single vector."),
        };
        switch (kind)
        {
            case DistillationKind.Multiclass:
            {
                var classes = ClassCount(data, label);
                if (scoreSize != classes)
                    throw new ArgumentException(
                        $"The teacher's column '{scoreName}' holds {(scoreSize == 0 ? "one value" : $"{scoreSize} values")} per row, but label '{labelName}' has {classes} classes: the teacher must score the same classes as the student learns.",
                        nameof(DistillationOptions.TeacherScoreColumnName));
                CheckClassOrder(score, label);
                return classes;
            }
            case DistillationKind.Binary:
                if (scoreSize != 0)
                    throw new ArgumentException(
                        $"The teacher's column '{scoreName}' holds {scoreSize} values per row; a binary teacher gives one score (a logit, as a binary classifier's Score column).",
                        nameof(DistillationOptions.TeacherScoreColumnName));
                return 1;
            default:
            {
                var labelSize = label.Type is VectorDataViewType labelVector ? labelVector.Size : 0;
                if (scoreSize != labelSize && !(labelSize == 0 && scoreSize == 1))
                    throw new ArgumentException(
                        $"The teacher's column '{scoreName}' holds {(scoreSize == 0 ? "one value" : $"{scoreSize} values")} per row, but label '{labelName}' has {(labelSize == 0 ? "one" : labelSize)}.",
                        nameof(DistillationOptions.TeacherScoreColumnName));
                return Math.Max(1, labelSize);
            }
        }
    }

    /// <summary>The label's class count: its key count, or the largest class index + 1.</summary>
    private static int ClassCount(IDataView data, DataViewSchema.Column label)
    {
        if (label.Type is KeyDataViewType key)
            return (int)key.Count;
        IEnumerable<double> classes = label.Type switch
        {
            var t when t == NumberDataViewType.UInt32 => data.GetColumn<uint>(label.Name).Select(v => (double)v),
            var t when t == NumberDataViewType.Single => data.GetColumn<float>(label.Name).Select(v => (double)v),
            var t when t == NumberDataViewType.Double => data.GetColumn<double>(label.Name),
            _ => throw new ArgumentOutOfRangeException(nameof(label), $"Label column '{label.Name}' has type {label.Type}; multiclass classification needs a key label or class indices."),
        };
        return (int)classes.Where(double.IsFinite).DefaultIfEmpty(0).Max() + 1;
    }

    /// <summary>When the teacher names its score slots and the label its key values (text), they must list the same classes in the same order.</summary>
    private void CheckClassOrder(DataViewSchema.Column score, DataViewSchema.Column label)
    {
        if (!score.HasSlotNames() || !label.HasKeyValues() || label.Type is not KeyDataViewType { RawType: var raw } || raw != typeof(uint)
            || label.Annotations.Schema["KeyValues"].Type is not VectorDataViewType { ItemType: TextDataViewType })
            return;
        VBuffer<ReadOnlyMemory<char>> slots = default, keys = default;
        score.GetSlotNames(ref slots);
        label.GetKeyValues(ref keys);
        var (slotNames, keyNames) = (slots.DenseValues().Select(s => s.ToString()).ToArray(), keys.DenseValues().Select(k => k.ToString()).ToArray());
        if (!slotNames.SequenceEqual(keyNames))
            throw new ArgumentException(
                $"The teacher's column '{score.Name}' scores the classes [{string.Join(", ", slotNames)}] but label '{label.Name}' orders them [{string.Join(", ", keyNames)}]; fit the teacher on data keyed by the same MapValueToKey.",
                nameof(DistillationOptions.TeacherScoreColumnName));
    }

    private ITeacher TeacherFor(IDataView data, int width)
    {
        if (Options.TeacherOutputs == TeacherOutputs.Cached)
            return new CachedTeacher(TeacherRows.Read(teacher.Transform(data), Options.TeacherScoreColumnName, width, kind), width);
        var featureName = student.Options.FeatureColumnName;
        if (DirectNetwork(teacher, featureName) is { } network)
            return new NetworkTeacher(network);
        var feature = data.Schema.GetColumnOrNull(featureName)
            ?? throw new ArgumentOutOfRangeException(nameof(data), $"Feature column '{featureName}' is not in the data.");
        if (feature.Type is not VectorDataViewType { ItemType: var item, IsKnownSize: true } || item != NumberDataViewType.Single)
            throw new ArgumentException($"TeacherOutputs = OnTheFly scores batches of feature column '{featureName}' through the teacher, which needs a known-size Single vector (it has {feature.Type}); use Cached.");
        var batchSchema = ml.Data.LoadFromEnumerable(Array.Empty<PipelineTeacher.FeatureRow>(), PipelineTeacher.BatchSchema(feature)).Schema;
        try
        {
            teacher.GetOutputSchema(batchSchema);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException(
                $"TeacherOutputs = OnTheFly scores each batch through the teacher with only feature column '{featureName}', but the teacher needs more: {e.Message} Use TeacherOutputs = Cached.", e);
        }
        return new PipelineTeacher(ml, teacher, feature, Options.TeacherScoreColumnName, width, kind);
    }

    /// <summary>The network of an MlNetDeep teacher that reads <paramref name="featureName"/> directly: the transformer itself, or the first step of a chain.</summary>
    private static TrainedNetwork? DirectNetwork(ITransformer model, string featureName) => model switch
    {
        DeepPredictionTransformer deep when deep.FeatureColumnName == featureName => deep.Network,
        IEnumerable<ITransformer> chain when chain.FirstOrDefault() is { } first => DirectNetwork(first, featureName),
        _ => null,
    };
}
