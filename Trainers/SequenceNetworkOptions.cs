using MlNetDeep.Data;
using MlNetDeep.Networks;

namespace MlNetDeep;

/// <summary>The shape of one numeric sequence in a flat feature vector: steps × features per step, step-major.</summary>
public sealed record SequenceShape(int Steps, int Features)
{
    /// <summary>Steps × features.</summary>
    public int Size => Steps * Features;

    /// <inheritdoc />
    public override string ToString() => $"{Steps} steps × {Features} features";
}

/// <summary>
/// What the sequence trainers (<see cref="RecurrentNetworkOptions"/>, <see cref="TransformerNetworkOptions"/>) read:
/// <list type="bullet">
/// <item>a numeric sequence: a fixed-size Single or Double vector of <see cref="SequenceShape"/> (steps, features), step-major —
/// taken from the column's two dimensions when it declares them (28×28 images read as 28 rows), else one feature per step;</item>
/// <item>an image read as a sequence of patches (<see cref="ImagePatchSize"/>);</item>
/// <item>a token sequence: a vector of keys of any length (TokenizeIntoWords or TokenizeIntoCharactersAsKeys, then
/// MapValueToKey), embedded by the network. Padding to the longest sequence of a batch happens inside training only and
/// never changes a prediction; tokens the key's dictionary lacks (key 0) share one learned "unknown" embedding; sequences
/// longer than <see cref="MaxSequenceLength"/> keep their first tokens; an empty sequence is an error at Fit.</item>
/// </list>
/// </summary>
public abstract class SequenceNetworkOptions : ImageNetworkOptions
{
    /// <summary>Sets the sequence defaults: dropout 0.1, no hidden layers in the head.</summary>
    protected SequenceNetworkOptions()
    {
        DropoutRate = 0.1;
    }

    /// <summary>The (steps, features) shape of a numeric sequence; null to take it from the column's dimensions, or one feature per step. Default null.</summary>
    public SequenceShape? SequenceShape { get; set; }

    /// <summary>Read an image feature column as a sequence of square patches of this many pixels (row by row) instead of rows; null for none. Default null.</summary>
    public int? ImagePatchSize { get; set; }

    /// <summary>Token sequences keep at most this many tokens (the first ones), in training and scoring alike. Default 256.</summary>
    public int MaxSequenceLength { get; set; } = 256;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Require(SequenceShape is null || SequenceShape is { Steps: >= 1, Features: >= 1 }, nameof(SequenceShape), SequenceShape, "must be positive in both dimensions");
        Require(ImagePatchSize is null or >= 1, nameof(ImagePatchSize), ImagePatchSize, "must be at least 1");
        Require(ImagePatchSize is null || SequenceShape is null, nameof(ImagePatchSize), ImagePatchSize, "and SequenceShape cannot both be set");
        Require(ImagePatchSize is null || PixelLayout == PixelLayout.ChannelsFirst, nameof(PixelLayout), PixelLayout, "must be ChannelsFirst to read image patches");
        Require(MaxSequenceLength >= 1, nameof(MaxSequenceLength), MaxSequenceLength, "must be at least 1");
    }
}

/// <summary>The input layers of the sequence architectures: a feature column becomes a sequence [steps, features].</summary>
internal static class SequenceInput
{
    /// <summary>Adds the layers that read <paramref name="features"/> as a sequence and returns the features per step.</summary>
    public static long Add(List<LayerSpec> layers, FeatureColumn features, SequenceNetworkOptions options, bool normalize, long embeddingDimensions)
    {
        if (features.IsTokenSequence)
        {
            layers.Add(new TokenEmbeddingLayer(features.KeyCount, embeddingDimensions, options.MaxSequenceLength));
            return embeddingDimensions;
        }
        if (normalize)
            layers.Add(new StandardizeLayer(features.Size));
        if (options.ImagePatchSize is { } patchSize)
        {
            var image = options.ImageLayoutOf(features).Shape;
            layers.Add(new ImagePatchesLayer(image.Channels, image.Height, image.Width, patchSize));
            return image.Channels * patchSize * patchSize;
        }
        var shape = Resolve(features, options.SequenceShape);
        layers.Add(new SequenceLayoutLayer(shape.Steps, shape.Features));
        return shape.Features;
    }

    private static SequenceShape Resolve(FeatureColumn features, SequenceShape? declared)
    {
        var dimensions = features.Dimensions;
        var shape = declared ?? dimensions.Length switch
        {
            2 => new SequenceShape(dimensions[0], dimensions[1]),
            3 when dimensions[0] == 1 => new SequenceShape(dimensions[1], dimensions[2]),
            _ => new SequenceShape(features.Size, 1),
        };
        if (shape.Size != features.Size)
            throw new ArgumentException($"Feature column '{features.Name}' has {features.Size} values but sequence shape {shape} needs {shape.Size}.");
        return shape;
    }
}
