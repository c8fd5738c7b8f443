namespace MlNetDeep;

/// <summary>
/// Mean average precision of an object detector, following the COCO protocol (pycocotools' COCOeval for boxes, area
/// range "all"): per image and class, detections are taken by descending score (at most
/// <c>maxDetectionsPerImage</c>) and each is matched to the unmatched ground-truth box it overlaps most, at IoU at or
/// above the threshold, preferring boxes that count over crowd or ignored ones. A detection matched to a crowd or
/// ignored box is left out; an unmatched one is a false positive. Images without detections only add missed objects;
/// classes without ground truth get no AP and are left out of the means.
/// </summary>
public static partial class DetectionEvaluation
{
    private const int IouThresholdCount = 10;
    private const int RecallPointCount = 101;

    /// <summary>Evaluates detections against ground truth, image by image.</summary>
    /// <param name="images">Each image's ground-truth boxes and detections (at least one image; some ground truth must count).</param>
    /// <param name="maxDetectionsPerImage">Detections per image and class kept, highest scores first (COCO: 100).</param>
    public static DetectionMetrics Evaluate(IReadOnlyList<DetectionImage> images, int maxDetectionsPerImage = 100) =>
        Evaluate(images, maxDetectionsPerImage, classLabels: null);

    /// <param name="images">Each image's ground-truth boxes and detections.</param>
    /// <param name="maxDetectionsPerImage">Detections per image and class kept.</param>
    /// <param name="classLabels">The name of each class id, or null.</param>
    private static DetectionMetrics Evaluate(IReadOnlyList<DetectionImage> images, int maxDetectionsPerImage, IReadOnlyList<string>? classLabels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDetectionsPerImage, 1);
        if (images.Count == 0)
            throw new ArgumentException("There are no images to evaluate.", nameof(images));
        Validate(images);

        var iouThresholds = IouThresholds();
        var classIds = images.SelectMany(i => i.GroundTruth.Select(g => g.ClassId).Concat(i.Detections.Select(d => d.ClassId)))
            .Distinct().Order().ToArray();
        var perClass = classIds.Select(c => EvaluateClass(images, c, iouThresholds, maxDetectionsPerImage, classLabels?[c])).ToArray();
        if (perClass.All(c => c.GroundTruthCount == 0))
            throw new ArgumentException("No image has a ground-truth box that counts (all are crowd or ignored, or there are none): average precision is undefined.", nameof(images));
        return new DetectionMetrics { IouThresholds = iouThresholds, PerClass = perClass, ImageCount = images.Count };
    }

    private static void Validate(IReadOnlyList<DetectionImage> images)
    {
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i] ?? throw new ArgumentException($"Image {i} is null.", nameof(images));
            if (image.GroundTruth is null || image.GroundTruth.Any(g => g is null))
                throw new ArgumentException($"Image {i}: GroundTruth is null or holds a null box.", nameof(images));
            if (image.Detections is null || image.Detections.Any(d => d is null))
                throw new ArgumentException($"Image {i}: Detections is null or holds a null box.", nameof(images));
            for (var d = 0; d < image.Detections.Count; d++)
            {
                if (!double.IsFinite(image.Detections[d].Score))
                    throw new ArgumentException($"Image {i}, detection {d}: the score is {image.Detections[d].Score}; scores must be finite.", nameof(images));
            }
        }
    }

    /// <summary>0.50:0.05:0.95, each computed as numpy's linspace computes it, so a box overlapping exactly at a threshold counts as in pycocotools.</summary>
    private static double[] IouThresholds()
    {
        var step = (0.95 - 0.5) / (IouThresholdCount - 1);
        var thresholds = Enumerable.Range(0, IouThresholdCount).Select(i => i * step + 0.5).ToArray();
        thresholds[^1] = 0.95;
        return thresholds;
    }

    private static double[] RecallPoints()
    {
        var step = 1.0 / (RecallPointCount - 1);
        var points = Enumerable.Range(0, RecallPointCount).Select(i => i * step).ToArray();
        points[^1] = 1.0;
        return points;
    }

    private static ClassDetectionMetrics EvaluateClass(IReadOnlyList<DetectionImage> images, int classId, double[] iouThresholds, int maxDetectionsPerImage, string? label)
    {
        var scored = new List<ScoredDetection>();
        var groundTruthCount = 0;
        foreach (var image in images)
        {
            // Boxes that count first, so a detection prefers them over crowd and ignored ones (a stable order, as COCO's).
            var truth = image.GroundTruth.Where(g => g.ClassId == classId).OrderBy(g => g.IsCrowd || g.IsIgnored).ToArray();
            var detections = image.Detections.Where(d => d.ClassId == classId).OrderByDescending(d => d.Score).Take(maxDetectionsPerImage).ToArray();
            groundTruthCount += truth.Count(g => !g.IsCrowd && !g.IsIgnored);
            if (detections.Length == 0)
                continue;
            var matches = detections.Select(d => new ScoredDetection(d.Score, new bool[iouThresholds.Length], new bool[iouThresholds.Length])).ToArray();
            for (var t = 0; t < iouThresholds.Length; t++)
                Match(detections, truth, iouThresholds[t], t, matches);
            scored.AddRange(matches);
        }
        // Stable: equal scores keep image order, then the order within the image.
        var ranked = scored.OrderByDescending(s => s.Score).ToArray();
        if (groundTruthCount == 0)
            return new ClassDetectionMetrics { ClassId = classId, Label = label, GroundTruthCount = 0, DetectionCount = ranked.Length, AveragePrecisionByIou = null, AveragePrecisionVoc = null };

        var byIou = new double[iouThresholds.Length];
        double voc = 0;
        for (var t = 0; t < iouThresholds.Length; t++)
        {
            var (recall, precision) = PrecisionRecall(ranked, t, groundTruthCount);
            byIou[t] = InterpolatedAveragePrecision(recall, precision);
            if (t == 0)
                voc = EveryPointAveragePrecision(recall, precision);
        }
        return new ClassDetectionMetrics { ClassId = classId, Label = label, GroundTruthCount = groundTruthCount, DetectionCount = ranked.Length, AveragePrecisionByIou = byIou, AveragePrecisionVoc = voc };
    }

    /// <summary>Greedy matching of one image's detections (by descending score) to its ground truth at one IoU threshold.</summary>
    private static void Match(DetectedBox[] detections, GroundTruthBox[] truth, double threshold, int thresholdIndex, ScoredDetection[] results)
    {
        var truthMatched = new bool[truth.Length];
        for (var d = 0; d < detections.Length; d++)
        {
            var bestIou = Math.Min(threshold, 1 - 1e-10);
            var match = -1;
            for (var g = 0; g < truth.Length; g++)
            {
                if (truthMatched[g] && !truth[g].IsCrowd)
                    continue;
                // Past the boxes that count: a detection already matched to one keeps it.
                if (match > -1 && !Ignored(truth[match]) && Ignored(truth[g]))
                    break;
                var iou = detections[d].Box.IntersectionOverUnion(truth[g].Box, truth[g].IsCrowd);
                if (iou < bestIou)
                    continue;
                bestIou = iou;
                match = g;
            }
            if (match == -1)
                continue;
            truthMatched[match] = true;
            results[d].Matched[thresholdIndex] = true;
            results[d].Ignored[thresholdIndex] = Ignored(truth[match]);
        }
    }

    private static bool Ignored(GroundTruthBox box) => box.IsCrowd || box.IsIgnored;

    /// <summary>Recall and precision after each ranked detection; a detection matched to a crowd or ignored box adds neither a true nor a false positive.</summary>
    private static (double[] Recall, double[] Precision) PrecisionRecall(ScoredDetection[] ranked, int thresholdIndex, int groundTruthCount)
    {
        var recall = new double[ranked.Length];
        var precision = new double[ranked.Length];
        long truePositives = 0, falsePositives = 0;
        for (var i = 0; i < ranked.Length; i++)
        {
            if (!ranked[i].Ignored[thresholdIndex])
            {
                if (ranked[i].Matched[thresholdIndex])
                    truePositives++;
                else
                    falsePositives++;
            }
            recall[i] = (double)truePositives / groundTruthCount;
            precision[i] = truePositives + falsePositives == 0 ? 0 : (double)truePositives / (truePositives + falsePositives);
        }
        return (recall, precision);
    }

    /// <summary>COCO: the precision envelope sampled at recall 0, 0.01, …, 1 (0 beyond the highest recall reached), averaged.</summary>
    private static double InterpolatedAveragePrecision(double[] recall, double[] precision)
    {
        var envelope = Envelope(precision);
        var recallPoints = RecallPoints();
        double sum = 0;
        var index = 0;
        foreach (var point in recallPoints)
        {
            while (index < recall.Length && recall[index] < point)
                index++;
            if (index == recall.Length)
                break;
            sum += envelope[index];
        }
        return sum / recallPoints.Length;
    }

    /// <summary>PASCAL VOC 2010+: the area under the precision envelope, summed at every recall change.</summary>
    private static double EveryPointAveragePrecision(double[] recall, double[] precision)
    {
        var envelope = Envelope(precision);
        double area = 0, previousRecall = 0;
        for (var i = 0; i < recall.Length; i++)
        {
            area += (recall[i] - previousRecall) * envelope[i];
            previousRecall = recall[i];
        }
        return area;
    }

    /// <summary>Each precision raised to the highest precision at any later point (the interpolated precision).</summary>
    private static double[] Envelope(double[] precision)
    {
        var envelope = (double[])precision.Clone();
        for (var i = envelope.Length - 1; i > 0; i--)
            envelope[i - 1] = Math.Max(envelope[i - 1], envelope[i]);
        return envelope;
    }

    private sealed record ScoredDetection(double Score, bool[] Matched, bool[] Ignored);
}
