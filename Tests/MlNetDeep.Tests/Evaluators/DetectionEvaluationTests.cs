namespace MlNetDeep.Tests.Evaluators;

/// <summary>
/// Detection AP on small cases worked out by hand (in the comments) under the COCO rules: greedy matching by score,
/// IoU at or above the threshold, crowd and ignored boxes, images without detections, classes without ground truth,
/// the per-image detection limit, 101-point (COCO) and every-point (VOC) interpolation.
/// </summary>
[TestClass]
public sealed class DetectionEvaluationTests
{
    private const double Exact = 1e-12;

    private static BoundingBox Box(double x, double y, double width, double height) => new(x, y, width, height);

    private static GroundTruthBox Truth(double x, double y, double width = 10, double height = 10, int classId = 0) => new(classId, Box(x, y, width, height));

    private static DetectedBox Detection(double score, double x, double y, double width = 10, double height = 10, int classId = 0) => new(classId, score, Box(x, y, width, height));

    private static DetectionImage Image(GroundTruthBox[] truth, params DetectedBox[] detections) => new(truth, detections);

    private static ClassDetectionMetrics Class0(DetectionMetrics metrics) => metrics.PerClass.Single(c => c.ClassId == 0);

    [TestMethod]
    public void APerfectDetectionHasAveragePrecisionOneAtEveryThreshold()
    {
        var metrics = DetectionEvaluation.Evaluate([Image([Truth(0, 0)], Detection(0.9, 0, 0))]);
        Assert.AreEqual(1.0, metrics.MeanAveragePrecision, Exact);
        Assert.AreEqual(1.0, metrics.MeanAveragePrecisionVoc, Exact);
        Assert.IsTrue(Class0(metrics).AveragePrecisionByIou!.All(ap => ap == 1.0));
    }

    [TestMethod]
    public void RankedTrueAndFalsePositivesGiveTheHandComputedAveragePrecision()
    {
        // Image A: objects g1, g2; image B: object g3. Ranked: 0.9 on g1 (TP), 0.8 nowhere in B (FP), 0.7 on g3 (TP),
        // 0.6 on g1 again (FP: g1 is taken, g2 not overlapped). Recall 1/3, 1/3, 2/3, 2/3; precision 1, 1/2, 2/3, 1/2;
        // envelope 1, 2/3, 2/3, 1/2.
        // COCO: recall points 0.00..0.33 (34) read 1, 0.34..0.66 (33) read 2/3, 0.67..1 read 0: (34 + 22) / 101.
        // VOC: 1/3 · 1 + 1/3 · 2/3 = 5/9.
        var metrics = DetectionEvaluation.Evaluate(
        [
            Image([Truth(0, 0), Truth(50, 50)], Detection(0.9, 0, 0), Detection(0.6, 1, 0)),
            Image([Truth(0, 0)], Detection(0.8, 80, 80), Detection(0.7, 0, 0)),
        ]);
        var class0 = Class0(metrics);
        Assert.AreEqual(3, class0.GroundTruthCount);
        Assert.AreEqual(4, class0.DetectionCount);
        // Every overlap is 1 or below 0.5 except the duplicate's with the taken g1 (0.82), so all thresholds agree.
        Assert.IsTrue(class0.AveragePrecisionByIou!.All(ap => Math.Abs(ap - 56.0 / 101) < Exact));
        Assert.AreEqual(56.0 / 101, metrics.MeanAveragePrecision, Exact);
        Assert.AreEqual(5.0 / 9, metrics.MeanAveragePrecisionVoc, Exact);
    }

    [TestMethod]
    public void AveragePrecisionCountsTheIouThresholdsTheOverlapReaches()
    {
        // IoU 78/100 = 0.78: a true positive at 0.50 … 0.75 (6 thresholds), a false positive (and a miss) at 0.80 … 0.95.
        var metrics = DetectionEvaluation.Evaluate([Image([Truth(0, 0)], Detection(0.9, 0, 0, height: 7.8))]);
        CollectionAssert.AreEqual(new[] { 1.0, 1, 1, 1, 1, 1, 0, 0, 0, 0 }, Class0(metrics).AveragePrecisionByIou!.ToArray());
        Assert.AreEqual(0.6, metrics.MeanAveragePrecision, Exact);
        Assert.AreEqual(1.0, metrics.MeanAveragePrecision50, Exact);
        Assert.AreEqual(1.0, metrics.MeanAveragePrecision75, Exact);
    }

    [TestMethod]
    public void AnOverlapExactlyAtTheThresholdMatches()
    {
        // IoU 50/100 = 0.5 exactly: a match at 0.50 only.
        var metrics = DetectionEvaluation.Evaluate([Image([Truth(0, 0)], Detection(0.9, 0, 0, height: 5))]);
        Assert.AreEqual(1.0, Class0(metrics).AveragePrecisionByIou![0]);
        Assert.AreEqual(0.0, Class0(metrics).AveragePrecisionByIou![1]);
        Assert.AreEqual(0.1, metrics.MeanAveragePrecision, Exact);
    }

    [TestMethod]
    public void DetectionsOnACrowdAreNeitherTrueNorFalsePositivesAndTheCrowdIsNoObjectToFind()
    {
        // A crowd region of 20 × 20 and one object. Two small detections inside the crowd outrank the true positive;
        // their overlap with the crowd is intersection / own area = 1 (plain IoU would be 0.16), and a crowd takes any
        // number of matches. Were they false positives, precision at full recall would be 1/3; were the crowd an object,
        // recall would stop at 1/2. Both would lower AP below 1.
        var crowd = new GroundTruthBox(0, Box(20, 0, 20, 20)) { IsCrowd = true };
        var metrics = DetectionEvaluation.Evaluate(
            [Image([Truth(0, 0), crowd], Detection(0.95, 22, 2, 8, 8), Detection(0.93, 30, 10, 5, 5), Detection(0.9, 0, 0))]);
        Assert.AreEqual(1, Class0(metrics).GroundTruthCount);
        Assert.AreEqual(1.0, metrics.MeanAveragePrecision, Exact);
        Assert.AreEqual(1.0, metrics.MeanAveragePrecisionVoc, Exact);
    }

    [TestMethod]
    public void AnIgnoredBoxAbsorbsOneDetectionOnly()
    {
        // Ranked: 0.95 on the ignored box (left out), 0.93 on it again (it is taken and no crowd: a false positive),
        // 0.9 on the object (TP). Precision after each: 0, 0, 1/2; recall 0, 0, 1. AP = 1/2 (COCO and VOC).
        var ignored = new GroundTruthBox(0, Box(50, 50, 10, 10)) { IsIgnored = true };
        var metrics = DetectionEvaluation.Evaluate([Image([Truth(0, 0), ignored], Detection(0.95, 50, 50), Detection(0.93, 51, 50), Detection(0.9, 0, 0))]);
        Assert.AreEqual(1, Class0(metrics).GroundTruthCount);
        Assert.AreEqual(0.5, metrics.MeanAveragePrecision, Exact);
        Assert.AreEqual(0.5, metrics.MeanAveragePrecisionVoc, Exact);
    }

    [TestMethod]
    public void ADetectionPrefersAnObjectToAnIgnoredBoxWithMoreOverlap()
    {
        // The detection is the ignored box itself (IoU 1) and overlaps the object by 80/120 = 0.667. At 0.50 … 0.65 it
        // matches the object (TP, AP 1); at 0.70 and above only the ignored box (left out; the object is missed, AP 0).
        var ignored = new GroundTruthBox(0, Box(2, 0, 10, 10)) { IsIgnored = true };
        var metrics = DetectionEvaluation.Evaluate([Image([ignored, Truth(0, 0)], Detection(0.9, 2, 0))]);
        CollectionAssert.AreEqual(new[] { 1.0, 1, 1, 1, 0, 0, 0, 0, 0, 0 }, Class0(metrics).AveragePrecisionByIou!.ToArray());
        Assert.AreEqual(0.4, metrics.MeanAveragePrecision, Exact);
    }

    [TestMethod]
    public void AnImageWithoutDetectionsAddsMissedObjects()
    {
        // Two objects, one found: recall stops at 1/2. COCO: recall points 0.00 … 0.50 (51) read 1: 51/101. VOC: 1/2.
        var metrics = DetectionEvaluation.Evaluate([Image([Truth(0, 0)], Detection(0.9, 0, 0)), Image([Truth(0, 0)])]);
        Assert.AreEqual(51.0 / 101, metrics.MeanAveragePrecision, Exact);
        Assert.AreEqual(0.5, metrics.MeanAveragePrecisionVoc, Exact);
    }

    [TestMethod]
    public void AClassWithoutGroundTruthHasNoAveragePrecisionAndStaysOutOfTheMean()
    {
        var metrics = DetectionEvaluation.Evaluate([Image([Truth(0, 0)], Detection(0.9, 0, 0), Detection(0.8, 0, 0, classId: 7))]);
        var class7 = metrics.PerClass.Single(c => c.ClassId == 7);
        Assert.AreEqual(0, class7.GroundTruthCount);
        Assert.AreEqual(1, class7.DetectionCount);
        Assert.IsNull(class7.AveragePrecision);
        Assert.IsNull(class7.AveragePrecisionVoc);
        Assert.AreEqual(1.0, metrics.MeanAveragePrecision, Exact);
    }

    [TestMethod]
    public void AClassWithGroundTruthButNoDetectionsCountsAsZero()
    {
        var metrics = DetectionEvaluation.Evaluate([Image([Truth(0, 0), Truth(20, 20, classId: 3)], Detection(0.9, 0, 0))]);
        Assert.AreEqual(0.0, metrics.PerClass.Single(c => c.ClassId == 3).AveragePrecision);
        Assert.AreEqual(0.5, metrics.MeanAveragePrecision, Exact);
    }

    [TestMethod]
    public void OnlyTheHighestScoringDetectionsPerImageAreKept()
    {
        // Two false positives outrank the true positive. All three: precision 1/3 at full recall, AP 1/3.
        // At most two per image: the true positive is dropped, AP 0.
        var image = Image([Truth(0, 0)], Detection(0.7, 0, 0), Detection(0.9, 40, 40), Detection(0.8, 60, 60));
        Assert.AreEqual(1.0 / 3, DetectionEvaluation.Evaluate([image]).MeanAveragePrecision, Exact);
        var limited = DetectionEvaluation.Evaluate([image], maxDetectionsPerImage: 2);
        Assert.AreEqual(0.0, limited.MeanAveragePrecision);
        Assert.AreEqual(2, Class0(limited).DetectionCount);
    }

    [TestMethod]
    public void BoxesWithANegativeSizeAreRejectedNamingTheArgument()
    {
        Assert.AreEqual("width", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BoundingBox(0, 0, -1, 5)).ParamName);
        Assert.AreEqual("height", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BoundingBox(0, 0, 1, -5)).ParamName);
        Assert.AreEqual("x2", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BoundingBox.FromCorners(10, 0, 5, 5)).ParamName);
        Assert.AreEqual("y2", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BoundingBox.FromCorners(0, 10, 5, 5)).ParamName);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BoundingBox(0, 0, double.NaN, 5)).Message, "width");
    }

    [TestMethod]
    public void EmptyInputIsAClearError()
    {
        var none = Assert.ThrowsExactly<ArgumentException>(() => DetectionEvaluation.Evaluate([]));
        Assert.AreEqual("images", none.ParamName);
        var noTruth = Assert.ThrowsExactly<ArgumentException>(() => DetectionEvaluation.Evaluate([Image([], Detection(0.9, 0, 0))]));
        StringAssert.Contains(noTruth.Message, "ground-truth");
        var onlyCrowd = Assert.ThrowsExactly<ArgumentException>(() => DetectionEvaluation.Evaluate([Image([new GroundTruthBox(0, Box(0, 0, 5, 5)) { IsCrowd = true }])]));
        StringAssert.Contains(onlyCrowd.Message, "crowd");
        var nanScore = Assert.ThrowsExactly<ArgumentException>(() => DetectionEvaluation.Evaluate([Image([Truth(0, 0)], Detection(double.NaN, 0, 0))]));
        StringAssert.Contains(nanScore.Message, "Image 0, detection 0");
    }

    [TestMethod]
    public void FromCornersAndIntersectionOverUnionAgree()
    {
        var a = BoundingBox.FromCorners(0, 0, 10, 10);
        Assert.AreEqual(new BoundingBox(0, 0, 10, 10), a);
        Assert.AreEqual(25.0 / 175, a.IntersectionOverUnion(Box(5, 5, 10, 10)), Exact);
        Assert.AreEqual(25.0 / 100, a.IntersectionOverUnion(Box(5, 5, 10, 10), otherIsCrowd: true), Exact);
        Assert.AreEqual(0.0, a.IntersectionOverUnion(Box(10, 0, 10, 10)), "touching boxes do not overlap");
    }
}
