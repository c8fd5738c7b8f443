using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// The normalized temperature-scaled cross-entropy (NT-Xent) of SimCLR as an objective term. The network's outputs hold
/// two views of each of B rows, <c>[2B, P]</c>: rows i and i + B are a positive pair, every other row of the batch a
/// negative. Each output is L2-normalized; the loss of anchor i is the cross-entropy of its positive among the 2B − 1
/// cosine similarities divided by the temperature, averaged over all 2B anchors.
/// </summary>
public sealed class NtXentLoss : ObjectiveTerm
{
    /// <summary>An NT-Xent term at <paramref name="temperature"/> (&gt; 0; lower sharpens the softmax over negatives).</summary>
    public NtXentLoss(double temperature)
    {
        if (!double.IsFinite(temperature) || temperature <= 0)
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The NT-Xent temperature must be a finite number greater than 0.");
        Temperature = temperature;
    }

    /// <summary>The softmax temperature.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public override Tensor Compute(ObjectiveBatch batch) => Loss(batch.Outputs, Temperature);

    /// <summary>The mean NT-Xent over the 2B anchors of <paramref name="projections"/> <c>[2B, P]</c> (views of row i at i and i + B).</summary>
    public static Tensor Loss(Tensor projections, double temperature)
    {
        var count = projections.shape[0];
        if (count % 2 != 0 || count < 2)
            throw new ArgumentException($"NT-Xent needs two views of each row ([2B, P]); the outputs have {count} rows.", nameof(projections));
        var half = count / 2;
        var normalized = nn.functional.normalize(projections, p: 2, dim: 1);
        var similarities = normalized.matmul(normalized.t()).div(temperature);
        // An anchor is never its own negative.
        var self = eye(count, dtype: ScalarType.Bool, device: projections.device);
        similarities = similarities.masked_fill(self, float.NegativeInfinity);
        var positives = arange(count, dtype: ScalarType.Int64, device: projections.device).add(half).remainder(count);
        return nn.functional.cross_entropy(similarities, positives);
    }
}
