namespace MlNetDeep.Quantization;

/// <summary>Symmetric int8 weights: one scale per output channel (the first axis) or one for the whole tensor.</summary>
internal static class WeightQuantizer
{
    /// <summary>The int8 values of <paramref name="weights"/> (<paramref name="channels"/> channels, channel-major) and their scales.</summary>
    public static (sbyte[] Values, float[] Scales) Quantize(float[] weights, int channels, WeightGranularity granularity)
    {
        var perChannel = weights.Length / channels;
        var scales = granularity == WeightGranularity.PerChannel
            ? Enumerable.Range(0, channels).Select(c => Scale(weights.AsSpan(c * perChannel, perChannel))).ToArray()
            : [Scale(weights)];
        var values = new sbyte[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            var scale = scales[granularity == WeightGranularity.PerChannel ? i / perChannel : 0];
            values[i] = (sbyte)Math.Clamp(MathF.Round(weights[i] / scale), -127, 127);
        }
        return (values, scales);
    }

    private static float Scale(ReadOnlySpan<float> weights)
    {
        var largest = 0f;
        foreach (var weight in weights)
            largest = MathF.Max(largest, MathF.Abs(weight));
        return largest > 0 ? largest / 127 : 1;
    }

    /// <summary>Rows become columns: a <c>[rows, columns]</c> matrix as <c>[columns, rows]</c>.</summary>
    public static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var transposed = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
                transposed[c * rows + r] = matrix[r * columns + c];
        }
        return transposed;
    }
}
