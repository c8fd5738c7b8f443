namespace MlNetDeep;

/// <summary>
/// Average precision of an object detector per class and its means over classes, in the PASCAL VOC style (IoU 0.5,
/// every-point interpolation) and the COCO style (IoU 0.50:0.05:0.95, 101 recall points). Returned by
/// <see cref="DetectionEvaluation.Evaluate(IReadOnlyList{DetectionImage}, int)"/> and
/// <c>ml.MulticlassClassification.EvaluateDetection</c>.
/// </summary>
public sealed class DetectionMetrics
{
    /// <summary>The IoU thresholds of the COCO metric: 0.50, 0.55, …, 0.95.</summary>
    public required IReadOnlyList<double> IouThresholds { get; init; }

    /// <summary>Every class that has ground truth or detections, by class id.</summary>
    public required IReadOnlyList<ClassDetectionMetrics> PerClass { get; init; }

    /// <summary>Images evaluated.</summary>
    public required int ImageCount { get; init; }

    /// <summary>COCO's AP: the mean over classes with ground truth of AP averaged over the IoU thresholds 0.50:0.05:0.95.</summary>
    public double MeanAveragePrecision => MeanOverClasses(c => c.AveragePrecision);

    /// <summary>COCO's AP50: mean over classes of the 101-point AP at IoU 0.5.</summary>
    public double MeanAveragePrecision50 => MeanOverClasses(c => c.AveragePrecisionByIou?[0]);

    /// <summary>COCO's AP75: mean over classes of the 101-point AP at IoU 0.75.</summary>
    public double MeanAveragePrecision75 => MeanOverClasses(c => c.AveragePrecisionByIou?[5]);

    /// <summary>PASCAL VOC's mAP: mean over classes of the every-point interpolated AP at IoU 0.5.</summary>
    public double MeanAveragePrecisionVoc => MeanOverClasses(c => c.AveragePrecisionVoc);

    // Classes without ground truth have no AP and, as in COCO, do not enter the mean.
    private double MeanOverClasses(Func<ClassDetectionMetrics, double?> averagePrecision) =>
        PerClass.Select(averagePrecision).Where(ap => ap is not null).Average(ap => ap!.Value);
}

/// <summary>One class's average precision. The AP values are null when the class has no ground truth (other than crowd or ignored boxes).</summary>
public sealed class ClassDetectionMetrics
{
    /// <summary>The class.</summary>
    public required int ClassId { get; init; }

    /// <summary>
    /// The class's name when the evaluated data names it (a key column's values or text labels, see
    /// <c>ml.MulticlassClassification.EvaluateDetection</c>); null for <see cref="DetectionImage"/> lists.
    /// </summary>
    public string? Label { get; init; }

    /// <summary>Ground-truth objects of the class that count (not crowd, not ignored).</summary>
    public required int GroundTruthCount { get; init; }

    /// <summary>Detections of the class that were evaluated (at most the per-image limit in each image).</summary>
    public required int DetectionCount { get; init; }

    /// <summary>101-point interpolated AP at each of <see cref="DetectionMetrics.IouThresholds"/>.</summary>
    public required IReadOnlyList<double>? AveragePrecisionByIou { get; init; }

    /// <summary>Every-point interpolated AP at IoU 0.5 (the area under the precision envelope, PASCAL VOC 2010 onwards).</summary>
    public required double? AveragePrecisionVoc { get; init; }

    /// <summary>COCO's AP of the class: the mean of <see cref="AveragePrecisionByIou"/>.</summary>
    public double? AveragePrecision => AveragePrecisionByIou?.Average();
}
