namespace MlNetDeep;

/// <summary>
/// Random image transformations applied to training batches only — never to validation or scoring — on the training
/// device, seeded so that a run (and a resumed run) sees the same transformations. Each has a probability and a
/// magnitude; all are off by default. Pixels moved in from outside the image, and erased areas, are 0.
/// </summary>
public sealed class ImageAugmentation
{
    /// <summary>Probability of mirroring an image left to right. Default 0.</summary>
    public double HorizontalFlipProbability { get; set; }

    /// <summary>Probability of mirroring an image top to bottom. Default 0.</summary>
    public double VerticalFlipProbability { get; set; }

    /// <summary>Random crop of the original size from the image padded by this many pixels on each side. Default 0 (none).</summary>
    public int CropPadding { get; set; }

    /// <summary>Probability of the random crop. Default 1.</summary>
    public double CropProbability { get; set; } = 1;

    /// <summary>Largest rotation, in degrees either way. Default 0 (none).</summary>
    public double RotationDegrees { get; set; }

    /// <summary>Probability of a rotation. Default 1.</summary>
    public double RotationProbability { get; set; } = 1;

    /// <summary>Largest shift, as a fraction of the image's width and height. Default 0 (none).</summary>
    public double TranslationFraction { get; set; }

    /// <summary>Probability of a shift. Default 1.</summary>
    public double TranslationProbability { get; set; } = 1;

    /// <summary>Probability of erasing a random rectangle (Zhong et al.'s random erasing). Default 0.</summary>
    public double ErasingProbability { get; set; }

    /// <summary>The smallest erased area, as a fraction of the image. Default 0.02.</summary>
    public double ErasingMinArea { get; set; } = 0.02;

    /// <summary>The largest erased area, as a fraction of the image. Default 0.33.</summary>
    public double ErasingMaxArea { get; set; } = 0.33;

    internal bool MovesPixels => (CropPadding > 0 && CropProbability > 0) || (RotationDegrees > 0 && RotationProbability > 0) || (TranslationFraction > 0 && TranslationProbability > 0);

    internal void Validate()
    {
        Probability(HorizontalFlipProbability, nameof(HorizontalFlipProbability));
        Probability(VerticalFlipProbability, nameof(VerticalFlipProbability));
        Probability(CropProbability, nameof(CropProbability));
        Probability(RotationProbability, nameof(RotationProbability));
        Probability(TranslationProbability, nameof(TranslationProbability));
        Probability(ErasingProbability, nameof(ErasingProbability));
        Require(CropPadding >= 0, nameof(CropPadding), CropPadding, "must be 0 or more");
        Require(RotationDegrees is >= 0 and <= 180, nameof(RotationDegrees), RotationDegrees, "must be in [0, 180]");
        Require(TranslationFraction is >= 0 and < 1, nameof(TranslationFraction), TranslationFraction, "must be in [0, 1)");
        Require(ErasingMinArea is > 0 and <= 1 && ErasingMinArea <= ErasingMaxArea, nameof(ErasingMinArea), ErasingMinArea, "must be in (0, ErasingMaxArea]");
        Require(ErasingMaxArea is > 0 and <= 1, nameof(ErasingMaxArea), ErasingMaxArea, "must be in (0, 1]");

        static void Probability(double value, string name) => Require(value is >= 0 and <= 1, name, value, "must be a probability in [0, 1]");
    }

    private static void Require(bool valid, string option, object value, string rule)
    {
        if (!valid)
            throw new ArgumentOutOfRangeException("Augmentation." + option, value, $"Option Augmentation.{option} {rule} (got {value}).");
    }
}
