namespace MlNetDeep;

/// <summary>When the teacher scores the training rows.</summary>
public enum TeacherOutputs
{
    /// <summary>Once, before training: one row of outputs per training row, looked up by row position every batch. The student then trains at its own speed.</summary>
    Cached,

    /// <summary>
    /// Every training batch, on the features as the student sees them (after augmentation). An MlNetDeep teacher runs its
    /// network on the batch; any other ML.NET model scores the batch through ML.NET, reading only the feature column.
    /// </summary>
    OnTheFly,
}

/// <summary>
/// Knowledge distillation (<c>ml.MulticlassClassification.Trainers.Distill(student, teacher, options)</c>): the student
/// minimizes α·T²·KL(teacher ‖ student at temperature T) + (1 − α)·its task's loss for classification (the teacher's
/// class probabilities softened at T, as Hinton et al. 2015), or α·squared error to the teacher's output + (1 − α)·squared
/// error to the label for regression.
/// </summary>
public sealed class DistillationOptions : CompressionOptions
{
    /// <summary>The weight α of the distillation term, in (0, 1]; the task's own loss gets 1 − α. Default 0.7.</summary>
    public double Alpha { get; set; } = 0.7;

    /// <summary>The temperature T that softens both distributions (classification), at least 1 would be usual; the term is scaled by T². Default 4.</summary>
    public double Temperature { get; set; } = 4;

    /// <summary>
    /// The teacher's output column: class probabilities (multiclass; read as log-probabilities, or as logits when a row does
    /// not sum to 1), the score read as a logit (binary), or the prediction (regression). Default "Score".
    /// </summary>
    public string TeacherScoreColumnName { get; set; } = "Score";

    /// <summary>Whether the teacher's outputs are computed once and cached, or per batch on the augmented features. Default <see cref="TeacherOutputs.Cached"/>.</summary>
    public TeacherOutputs TeacherOutputs { get; set; } = TeacherOutputs.Cached;

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Alpha is > 0 and <= 1, nameof(Alpha), Alpha, "must be in (0, 1]");
        Require(double.IsFinite(Temperature) && Temperature > 0, nameof(Temperature), Temperature, "must be a positive number");
        Require(!string.IsNullOrWhiteSpace(TeacherScoreColumnName), nameof(TeacherScoreColumnName), TeacherScoreColumnName, "must name a column");
        Require(Enum.IsDefined(TeacherOutputs), nameof(TeacherOutputs), TeacherOutputs, "must be Cached or OnTheFly");
    }
}
