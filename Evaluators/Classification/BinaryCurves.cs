namespace MlNetDeep.Classification;

/// <summary>Precision-recall and ROC curves of a binary score, with their areas.</summary>
internal sealed record BinaryCurves(PrecisionRecallPoint[] PrecisionRecall, double AveragePrecision, RocPoint[] Roc, double AreaUnderRoc)
{
    /// <summary>
    /// Sweeps the threshold down over the distinct scores. Both classes must be present. The arrays are sorted in place.
    /// </summary>
    public static BinaryCurves Compute(float[] scores, bool[] positive)
    {
        Array.Sort(scores, positive);
        long positives = positive.LongCount(p => p), negatives = positive.Length - positives;
        var precisionRecall = new List<PrecisionRecallPoint>();
        var roc = new List<RocPoint> { new(double.PositiveInfinity, 0, 0) };
        long truePositives = 0, falsePositives = 0;
        double averagePrecision = 0, areaUnderRoc = 0, previousRecall = 0, previousFalsePositiveRate = 0;
        for (var end = scores.Length - 1; end >= 0;)
        {
            var threshold = scores[end];
            for (; end >= 0 && scores[end] == threshold; end--)
            {
                if (positive[end])
                    truePositives++;
                else
                    falsePositives++;
            }
            var precision = (double)truePositives / (truePositives + falsePositives);
            var recall = (double)truePositives / positives;
            var falsePositiveRate = (double)falsePositives / negatives;
            precisionRecall.Add(new PrecisionRecallPoint(threshold, precision, recall));
            roc.Add(new RocPoint(threshold, falsePositiveRate, recall));
            averagePrecision += (recall - previousRecall) * precision;
            areaUnderRoc += (falsePositiveRate - previousFalsePositiveRate) * (recall + previousRecall) / 2;
            previousRecall = recall;
            previousFalsePositiveRate = falsePositiveRate;
        }
        return new BinaryCurves([.. precisionRecall], averagePrecision, [.. roc], areaUnderRoc);
    }
}
