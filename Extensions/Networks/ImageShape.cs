namespace MlNetDeep;

/// <summary>The shape of one image: channels, height and width.</summary>
public sealed record ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Channels × height × width.</summary>
    public int Size => Channels * Height * Width;

    /// <inheritdoc />
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}

/// <summary>How the pixels of an image lie in a flat feature vector.</summary>
public enum PixelLayout
{
    /// <summary>All of channel 0, then channel 1, … (ML.NET's ExtractPixels default, <c>interleavePixelColors: false</c>).</summary>
    ChannelsFirst,

    /// <summary>Each pixel's channels together (ExtractPixels with <c>interleavePixelColors: true</c>).</summary>
    ChannelsLast,
}
