using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep;

/// <summary>
/// Metrics of generated images: the Fréchet distance between the feature distributions of two image sets (on any
/// features, or on the packaged ImageNet ResNet18's 512 features) and the Inception Score of any classifier's class
/// probabilities.
/// </summary>
public static class GenerativeMetrics
{
    /// <summary>
    /// The Fréchet distance between Gaussians fitted to two sets of feature vectors (the formula of the FID). 0 for
    /// sets with equal mean and covariance; it grows with the squared shift of the mean and with differing spread.
    /// Values depend on the feature extractor and on the set sizes, so compare them only under equal conditions.
    /// </summary>
    /// <param name="features1">The first set: at least 2 vectors of equal length.</param>
    /// <param name="features2">The second set: at least 2 vectors of the same length as the first's.</param>
    public static double FrechetDistance(IReadOnlyList<float[]> features1, IReadOnlyList<float[]> features2) =>
        Generative.FrechetDistance.Compute(features1, features2, nameof(features1), nameof(features2));

    /// <summary>
    /// The Fréchet distance between two image sets on the 512 features of the ImageNet-pretrained ResNet18 that ships
    /// with Microsoft.ML.DnnImageFeaturizer.ResNet18 — the FID's recipe with ResNet18 in place of Inception v3, so the
    /// values are not comparable with published FIDs. Images are resized to 224 × 224 (whole image, no crop).
    /// Several hundred images per set give a stable value; fewer give a noisy, upward-biased one.
    /// </summary>
    /// <param name="ml">The context that runs the featurizer.</param>
    /// <param name="images1">The first image set: a column of images (e.g. from <c>ml.Transforms.LoadImages</c>), at least 2 rows.</param>
    /// <param name="images2">The second image set, same column name.</param>
    /// <param name="imageColumnName">The image column of both sets.</param>
    public static double ResNet18FrechetDistance(MLContext ml, IDataView images1, IDataView images2, string imageColumnName = "Image")
    {
        var features1 = ResNet18Features.Extract(ml, images1, imageColumnName);
        var features2 = ResNet18Features.Extract(ml, images2, imageColumnName);
        return Generative.FrechetDistance.Compute(features1, features2, nameof(images1), nameof(images2));
    }

    /// <summary>
    /// The Inception Score, exp(E[KL(p(y|x) ‖ p(y))]), of class probabilities from any classifier (the original uses
    /// Inception v3 on ImageNet): high when each image is confidently one class and the classes are evenly covered; at
    /// most the class count. The rows are cut into <paramref name="splits"/> consecutive parts of ⌊n / splits⌋ rows
    /// (leftover rows are not used, as in the reference implementation); the score is computed on each part.
    /// </summary>
    /// <param name="classProbabilities">One probability vector per generated image, all of one length; each row is normalized to sum 1.</param>
    /// <param name="splits">Parts to score separately (10 in the literature).</param>
    public static InceptionScoreResult InceptionScore(IReadOnlyList<float[]> classProbabilities, int splits = 10)
    {
        ArgumentNullException.ThrowIfNull(classProbabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(splits, 1);
        if (classProbabilities.Count < splits)
            throw new ArgumentException($"'{nameof(classProbabilities)}' has {classProbabilities.Count} rows, fewer than the {splits} splits.", nameof(classProbabilities));
        var classCount = classProbabilities[0]?.Length ?? 0;
        var rows = new double[classProbabilities.Count][];
        for (var i = 0; i < rows.Length; i++)
            rows[i] = NormalizedRow(classProbabilities[i], i, classCount);

        var partSize = rows.Length / splits;
        var scores = new double[splits];
        for (var s = 0; s < splits; s++)
        {
            var part = rows.AsSpan(s * partSize, partSize);
            // The marginal p(y) averages the rows as given, then is normalized (scipy's entropy normalizes both arguments).
            var marginal = new double[classCount];
            for (var i = s * partSize; i < (s + 1) * partSize; i++)
            {
                for (var c = 0; c < classCount; c++)
                    marginal[c] += classProbabilities[i][c];
            }
            var marginalSum = marginal.Sum();
            double divergence = 0;
            foreach (var row in part)
            {
                for (var c = 0; c < classCount; c++)
                {
                    if (row[c] > 0)
                        divergence += row[c] * Math.Log(row[c] / (marginal[c] / marginalSum));
                }
            }
            scores[s] = Math.Exp(divergence / partSize);
        }
        var mean = scores.Average();
        return new InceptionScoreResult(mean, Math.Sqrt(scores.Average(x => (x - mean) * (x - mean))), scores);
    }

    /// <summary>The Inception Score of a classifier's scored data: its <paramref name="scoreColumnName"/> vector of class probabilities.</summary>
    /// <param name="scored">Scored data, e.g. a classifier's <c>Transform</c> of generated images.</param>
    /// <param name="scoreColumnName">A vector of Single class probabilities.</param>
    /// <param name="splits">Parts to score separately.</param>
    public static InceptionScoreResult InceptionScore(IDataView scored, string scoreColumnName = "Score", int splits = 10)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var column = scored.Schema.GetColumnOrNull(scoreColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(scoreColumnName), $"Score column '{scoreColumnName}' is not in the data.");
        if (column.Type is not VectorDataViewType { ItemType: var itemType } || itemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(scoreColumnName), $"Score column '{scoreColumnName}' has type {column.Type}; the Inception Score needs a vector of Single class probabilities.");
        var rows = scored.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();
        return InceptionScore(rows, splits);
    }

    private static double[] NormalizedRow(float[]? probabilities, int row, int classCount)
    {
        if (probabilities is null || probabilities.Length != classCount || classCount == 0)
            throw new ArgumentException($"Row {row} of the class probabilities has {probabilities?.Length ?? 0} values; expected {classCount} (the first row's count, at least 1).", "classProbabilities");
        double sum = 0;
        foreach (var p in probabilities)
        {
            if (!(p >= 0) || !float.IsFinite(p))
                throw new ArgumentException($"Row {row} of the class probabilities holds {p}; probabilities are finite and not negative.", "classProbabilities");
            sum += p;
        }
        if (sum == 0)
            throw new ArgumentException($"Row {row} of the class probabilities is all zeros.", "classProbabilities");
        return probabilities.Select(p => p / sum).ToArray();
    }
}

/// <summary>An Inception Score over splits.</summary>
/// <param name="Mean">Mean of the split scores (the number usually reported).</param>
/// <param name="StandardDeviation">Population standard deviation of the split scores (reported as ±).</param>
/// <param name="SplitScores">The score of each split.</param>
public sealed record InceptionScoreResult(double Mean, double StandardDeviation, IReadOnlyList<double> SplitScores);
