namespace MlNetDeep.Classification;

/// <summary>
/// Counts gathered in one pass over scored rows: the confusion matrix, the rank of the true class among the scores and
/// the calibration bins. Everything in a <see cref="ClassificationReport"/> follows from these counts.
/// </summary>
internal sealed class ClassificationTally(int classCount)
{
    private readonly long[] _confusion = new long[classCount * classCount];
    private readonly long[] _trueClassRanks = new long[classCount];

    public int ClassCount { get; } = classCount;

    public long RowCount { get; private set; }

    public long UnlabeledRowCount { get; private set; }

    public void AddUnlabeled() => UnlabeledRowCount++;

    /// <summary>One labelled row; <paramref name="trueClassRank"/> is the number of classes ranked above the true class.</summary>
    public void Add(int trueClass, int predictedClass, int trueClassRank) => Add(trueClass, predictedClass, trueClassRank, 1);

    /// <summary><paramref name="count"/> labelled rows of one (true class, predicted class, rank).</summary>
    public void Add(int trueClass, int predictedClass, int trueClassRank, long count)
    {
        _confusion[trueClass * ClassCount + predictedClass] += count;
        _trueClassRanks[trueClassRank] += count;
        RowCount += count;
    }

    /// <param name="classLabels">The classes' names, in index order.</param>
    /// <param name="calibration">Calibration, or null when the scores are not probabilities.</param>
    /// <param name="maxK">The largest k of the top-k accuracies: the class count when rows were ranked by scores, 1 when only predicted labels were read.</param>
    public ClassificationReport ToReport(IReadOnlyList<string> classLabels, CalibrationReport? calibration, int? maxK = null) => new()
    {
        ClassLabels = classLabels,
        PerClass = PerClass(classLabels),
        RowCount = RowCount,
        UnlabeledRowCount = UnlabeledRowCount,
        ConfusionMatrix = ConfusionRows(),
        TopKAccuracy = TopKAccuracy(maxK ?? ClassCount),
        Calibration = calibration,
    };

    public BinaryClassificationReport ToBinaryReport(CalibrationReport? calibration, BinaryCurves curves) => new()
    {
        ClassLabels = BinaryClassLabels,
        PerClass = PerClass(BinaryClassLabels),
        RowCount = RowCount,
        UnlabeledRowCount = UnlabeledRowCount,
        ConfusionMatrix = ConfusionRows(),
        TopKAccuracy = TopKAccuracy(ClassCount),
        Calibration = calibration,
        PrecisionRecallCurve = curves.PrecisionRecall,
        AveragePrecision = curves.AveragePrecision,
        RocCurve = curves.Roc,
        AreaUnderRocCurve = curves.AreaUnderRoc,
    };

    /// <summary>A token report: top-1 accuracy only (no scores were read), no calibration.</summary>
    public TokenClassificationReport ToTokenReport(IReadOnlyList<string> classLabels, string? outsideClass, long sequenceCount) => new()
    {
        ClassLabels = classLabels,
        PerClass = PerClass(classLabels),
        RowCount = RowCount,
        UnlabeledRowCount = UnlabeledRowCount,
        ConfusionMatrix = ConfusionRows(),
        TopKAccuracy = TopKAccuracy(1),
        Calibration = null,
        SequenceCount = sequenceCount,
        OutsideClass = outsideClass,
    };

    /// <summary>The binary classes in the order of a Boolean label: index 0 is false (negative), 1 is true (positive).</summary>
    public static readonly IReadOnlyList<string> BinaryClassLabels = ["False", "True"];

    private ClassMetrics[] PerClass(IReadOnlyList<string> labels)
    {
        var metrics = new ClassMetrics[ClassCount];
        for (var c = 0; c < ClassCount; c++)
        {
            long support = 0, predicted = 0;
            for (var other = 0; other < ClassCount; other++)
            {
                support += _confusion[c * ClassCount + other];
                predicted += _confusion[other * ClassCount + c];
            }
            var truePositives = (double)_confusion[c * ClassCount + c];
            var precision = predicted == 0 ? 0 : truePositives / predicted;
            var recall = support == 0 ? 0 : truePositives / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            metrics[c] = new ClassMetrics(labels[c], precision, recall, f1, support);
        }
        return metrics;
    }

    private IReadOnlyList<long>[] ConfusionRows() =>
        Enumerable.Range(0, ClassCount).Select(c => (IReadOnlyList<long>)_confusion.AsSpan(c * ClassCount, ClassCount).ToArray()).ToArray();

    private double[] TopKAccuracy(int maxK)
    {
        var accuracy = new double[maxK];
        long hits = 0;
        for (var k = 0; k < maxK; k++)
        {
            hits += _trueClassRanks[k];
            accuracy[k] = RowCount == 0 ? 0 : (double)hits / RowCount;
        }
        return accuracy;
    }
}

/// <summary>Equal-width probability bins over [0, 1] holding (predicted probability, outcome) pairs.</summary>
internal sealed class CalibrationTally(int binCount)
{
    private readonly long[] _counts = new long[binCount];
    private readonly double[] _probabilitySums = new double[binCount];
    private readonly long[] _outcomes = new long[binCount];

    /// <summary>Adds one row; <paramref name="probability"/> must lie in [0, 1].</summary>
    public void Add(double probability, bool outcome)
    {
        // Bins are (lower, upper]: a probability on an edge belongs to the bin below it, 0 to the first.
        var bin = Math.Clamp((int)Math.Ceiling(probability * binCount) - 1, 0, binCount - 1);
        _counts[bin]++;
        _probabilitySums[bin] += probability;
        if (outcome)
            _outcomes[bin]++;
    }

    public CalibrationReport ToReport()
    {
        var total = _counts.Sum();
        var bins = new ReliabilityBin[binCount];
        double expected = 0, maximum = 0;
        for (var b = 0; b < binCount; b++)
        {
            double? meanProbability = null, frequency = null;
            if (_counts[b] > 0)
            {
                meanProbability = _probabilitySums[b] / _counts[b];
                frequency = (double)_outcomes[b] / _counts[b];
                var gap = Math.Abs(frequency.Value - meanProbability.Value);
                expected += gap * _counts[b] / total;
                maximum = Math.Max(maximum, gap);
            }
            bins[b] = new ReliabilityBin((double)b / binCount, (double)(b + 1) / binCount, _counts[b], meanProbability, frequency);
        }
        return new CalibrationReport { ExpectedCalibrationError = expected, MaximumCalibrationError = maximum, Bins = bins };
    }
}
