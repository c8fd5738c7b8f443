using Microsoft.ML;
using MlNetDeep.Compression;

namespace MlNetDeep;

/// <summary>Knowledge distillation in ML.NET's trainer catalogs: <c>ml.MulticlassClassification.Trainers.Distill(student, teacher, options)</c>.</summary>
public static class DistillationCatalog
{
    /// <summary>
    /// Trains <paramref name="student"/> (any MlNetDeep multiclass trainer, with its own options and hooks) to match
    /// <paramref name="teacher"/>'s class probabilities as well as the labels: α·T²·KL + (1 − α)·cross-entropy.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="student">The student trainer, e.g. <c>ml.MulticlassClassification.Trainers.FeedForward(...)</c>.</param>
    /// <param name="teacher">A fitted model that scores the student's training data into class probabilities over the label's classes (its Score column, in key order).</param>
    /// <param name="options">α, temperature, the teacher's column and how its outputs are computed; null for the defaults.</param>
    public static DistillationTrainer Distill(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, DeepTrainer student, ITransformer teacher,
        DistillationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DistillationTrainer(student, teacher, options ?? new DistillationOptions(), DistillationKind.Multiclass);
    }

    /// <summary>Trains a binary <paramref name="student"/> against <paramref name="teacher"/>'s score read as a logit: α·T²·KL between the softened Bernoulli distributions + (1 − α)·its own loss.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="student">The student trainer, e.g. <c>ml.BinaryClassification.Trainers.FeedForward(...)</c>.</param>
    /// <param name="teacher">A fitted binary model that scores the student's training data (its Score column, a logit or margin).</param>
    /// <param name="options">α, temperature, the teacher's column and how its outputs are computed; null for the defaults.</param>
    public static DistillationTrainer Distill(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, DeepTrainer student, ITransformer teacher,
        DistillationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DistillationTrainer(student, teacher, options ?? new DistillationOptions(), DistillationKind.Binary);
    }

    /// <summary>Trains a regression <paramref name="student"/> against <paramref name="teacher"/>'s predictions: α·squared error to the teacher + (1 − α)·squared error to the label.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="student">The student trainer, e.g. <c>ml.Regression.Trainers.FeedForward(...)</c>.</param>
    /// <param name="teacher">A fitted regression model that scores the student's training data (its Score column).</param>
    /// <param name="options">α, the teacher's column and how its outputs are computed (the temperature is not used); null for the defaults.</param>
    public static DistillationTrainer Distill(this RegressionCatalog.RegressionTrainers catalog, DeepTrainer student, ITransformer teacher,
        DistillationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DistillationTrainer(student, teacher, options ?? new DistillationOptions(), DistillationKind.Regression);
    }
}
