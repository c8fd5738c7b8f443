namespace MlNetDeep;

/// <summary>An axis-aligned box in image coordinates: left, top, width and height (COCO's [x, y, w, h]).</summary>
public readonly struct BoundingBox : IEquatable<BoundingBox>
{
    /// <summary>A box from its left-top corner and size; the size must be finite and not negative.</summary>
    public BoundingBox(double x, double y, double width, double height)
    {
        if (!double.IsFinite(x))
            throw new ArgumentOutOfRangeException(nameof(x), x, "The box's left edge must be a finite number.");
        if (!double.IsFinite(y))
            throw new ArgumentOutOfRangeException(nameof(y), y, "The box's top edge must be a finite number.");
        if (!(width >= 0) || !double.IsFinite(width))
            throw new ArgumentOutOfRangeException(nameof(width), width, "The box's width must be a finite number ≥ 0 (a box with a negative size is not a box).");
        if (!(height >= 0) || !double.IsFinite(height))
            throw new ArgumentOutOfRangeException(nameof(height), height, "The box's height must be a finite number ≥ 0 (a box with a negative size is not a box).");
        X = x;
        Y = y;
        Width = width;
        Height = height;
    }

    /// <summary>A box from its corners (x1, y1) and (x2, y2), as ML.NET's object detection writes them; x2 ≥ x1 and y2 ≥ y1.</summary>
    public static BoundingBox FromCorners(double x1, double y1, double x2, double y2)
    {
        if (x2 < x1)
            throw new ArgumentOutOfRangeException(nameof(x2), x2, $"The box's right edge lies left of its left edge {x1}: a negative width.");
        if (y2 < y1)
            throw new ArgumentOutOfRangeException(nameof(y2), y2, $"The box's bottom edge lies above its top edge {y1}: a negative height.");
        return new BoundingBox(x1, y1, x2 - x1, y2 - y1);
    }

    /// <summary>Left edge.</summary>
    public double X { get; }

    /// <summary>Top edge.</summary>
    public double Y { get; }

    /// <summary>Width (≥ 0).</summary>
    public double Width { get; }

    /// <summary>Height (≥ 0).</summary>
    public double Height { get; }

    /// <summary>Width × height.</summary>
    public double Area => Width * Height;

    /// <summary>
    /// Intersection over union with <paramref name="other"/>; with <paramref name="otherIsCrowd"/> the intersection is
    /// divided by this box's area alone, as COCO does for a crowd region (a detection inside a crowd overlaps it fully).
    /// Boxes that only touch, and empty boxes, overlap 0.
    /// </summary>
    public double IntersectionOverUnion(BoundingBox other, bool otherIsCrowd = false)
    {
        var width = Math.Min(X + Width, other.X + other.Width) - Math.Max(X, other.X);
        if (width <= 0)
            return 0;
        var height = Math.Min(Y + Height, other.Y + other.Height) - Math.Max(Y, other.Y);
        if (height <= 0)
            return 0;
        var intersection = width * height;
        var union = otherIsCrowd ? Area : Area + other.Area - intersection;
        return intersection / union;
    }

    /// <inheritdoc />
    public bool Equals(BoundingBox other) => X == other.X && Y == other.Y && Width == other.Width && Height == other.Height;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is BoundingBox other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(X, Y, Width, Height);

    /// <inheritdoc />
    public override string ToString() => $"[x {X}, y {Y}, w {Width}, h {Height}]";
}

/// <summary>A ground-truth object of an image.</summary>
/// <param name="ClassId">The object's class.</param>
/// <param name="Box">Where it is.</param>
public sealed record GroundTruthBox(int ClassId, BoundingBox Box)
{
    /// <summary>
    /// A COCO crowd region (iscrowd = 1): not counted as an object to find; any number of detections may fall on it,
    /// their overlap is measured against the detection's own area, and detections matched to it are neither true nor
    /// false positives.
    /// </summary>
    public bool IsCrowd { get; init; }

    /// <summary>
    /// An object that neither counts when missed nor when found (PASCAL VOC's "difficult", or an object outside the
    /// size range being evaluated): a detection matched to it is neither a true nor a false positive. Unlike a crowd it
    /// matches at most one detection.
    /// </summary>
    public bool IsIgnored { get; init; }
}

/// <summary>A detection: a class, a confidence score and a box.</summary>
/// <param name="ClassId">The predicted class.</param>
/// <param name="Score">The confidence; higher scores are matched first.</param>
/// <param name="Box">Where the object was found.</param>
public sealed record DetectedBox(int ClassId, double Score, BoundingBox Box);

/// <summary>One image's ground truth and detections. An image may have either list empty.</summary>
/// <param name="GroundTruth">The objects in the image.</param>
/// <param name="Detections">What the detector found in the image.</param>
public sealed record DetectionImage(IReadOnlyList<GroundTruthBox> GroundTruth, IReadOnlyList<DetectedBox> Detections);
