using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>One training batch as the objective's terms see it.</summary>
public sealed class ObjectiveBatch
{
    internal ObjectiveBatch(TrainingContext context, Tensor features, Tensor outputs, Tensor targets, Tensor? exampleWeights, Tensor rows)
    {
        Context = context;
        Features = features;
        Outputs = outputs;
        Targets = targets;
        ExampleWeights = exampleWeights;
        Rows = rows;
    }

    /// <summary>The running Fit.</summary>
    public TrainingContext Context { get; }

    /// <summary>The features the network read, <c>[B, …]</c> (after augmentation).</summary>
    public Tensor Features { get; }

    /// <summary>The network's raw outputs <c>[B, out]</c>: logits for classification, values for regression.</summary>
    public Tensor Outputs { get; }

    /// <summary>The targets: class indices <c>[B]</c> (Int64), binary labels <c>[B]</c> (0 or 1), or values <c>[B]</c> / <c>[B, T]</c>.</summary>
    public Tensor Targets { get; }

    /// <summary>The examples' weights <c>[B]</c> (example weights times class weights), or null when all weigh the same.</summary>
    public Tensor? ExampleWeights { get; }

    /// <summary>Each example's row position in the training data (Int64 <c>[B]</c>), to look up what was computed for that row beforehand.</summary>
    public Tensor Rows { get; }
}

/// <summary>
/// A term of the training objective, e.g. a distillation loss against a teacher's outputs or a penalty on weights. It
/// returns either one value per example (<c>[B]</c>, averaged with the batch's example weights like the task's loss) or
/// one value for the batch (a scalar, added as it is).
/// </summary>
public abstract class ObjectiveTerm
{
    /// <summary>The term's name in messages. Default: the type name.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>The term's value for <paramref name="batch"/>, differentiable with respect to the network's weights.</summary>
    public abstract Tensor Compute(ObjectiveBatch batch);
}

/// <summary>
/// What the optimizer minimizes in one Fit: the task's loss (cross-entropy with label smoothing, or squared error) times
/// <see cref="TaskLossWeight"/>, plus each added term times its weight. A fresh objective is made for every Fit; callbacks
/// change it in <see cref="TrainingCallback.OnTrainingBegin"/> (<see cref="TrainingContext.Objective"/>), so techniques
/// such as distillation or penalties need no change to the training loop. The validation loss stays the task's loss,
/// so it remains comparable across objectives.
/// </summary>
public sealed class TrainingObjective
{
    private readonly List<(ObjectiveTerm Term, double Weight)> terms = [];
    private double taskLossWeight = 1;

    internal TrainingObjective() { }

    /// <summary>The weight of the task's own loss; 0 leaves it out (the added terms are then the whole objective). Default 1.</summary>
    public double TaskLossWeight
    {
        get => taskLossWeight;
        set
        {
            if (!double.IsFinite(value) || value < 0)
                throw new ArgumentOutOfRangeException(nameof(TaskLossWeight), value, "The task loss weight must be a finite number of 0 or more.");
            taskLossWeight = value;
        }
    }

    /// <summary>The added terms with their weights, in the order they were added.</summary>
    public IReadOnlyList<(ObjectiveTerm Term, double Weight)> Terms => terms;

    /// <summary>Adds <paramref name="term"/>, multiplied by <paramref name="weight"/>, to the objective.</summary>
    public void Add(ObjectiveTerm term, double weight = 1)
    {
        ArgumentNullException.ThrowIfNull(term);
        if (!double.IsFinite(weight))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"The weight of objective term '{term.Name}' must be finite.");
        terms.Add((term, weight));
    }

    /// <summary>The batch's loss: the weighted task loss (computed only when its weight is not 0) plus the weighted terms.</summary>
    internal Tensor Loss(ObjectiveBatch batch, Func<Tensor> taskLosses)
    {
        var total = taskLossWeight == 0 ? null : WeightedMean(taskLosses(), batch.ExampleWeights).mul(taskLossWeight);
        foreach (var (term, weight) in terms)
        {
            var value = term.Compute(batch);
            var reduced = value.dim() switch
            {
                0 => value,
                1 when value.shape[0] == batch.Outputs.shape[0] => WeightedMean(value, batch.ExampleWeights),
                _ => throw new InvalidOperationException(
                    $"Objective term '{term.Name}' returned shape [{string.Join(", ", value.shape)}]; it must return one value per example ([{batch.Outputs.shape[0]}]) or a scalar."),
            };
            var scaled = reduced.mul(weight);
            total = total is null ? scaled : total.add(scaled);
        }
        return total ?? throw new InvalidOperationException("The training objective is empty: TaskLossWeight is 0 and no term was added.");
    }

    internal static Tensor WeightedMean(Tensor values, Tensor? weights) =>
        weights is null ? values.mean() : values.mul(weights).sum().div(weights.sum().clamp_min(1e-12));
}
