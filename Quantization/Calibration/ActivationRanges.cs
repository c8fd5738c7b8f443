using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace MlNetDeep.Quantization;

/// <summary>
/// Runs the float graph on calibration rows and turns the values each chosen tensor takes into a range: min-max in one
/// pass, or a 2048-bin histogram in a second pass for the percentile and entropy methods.
/// </summary>
internal static class ActivationRanges
{
    private const int Bins = 2048;

    public static Dictionary<string, (float Min, float Max)> Calibrate(ModelProto model, IReadOnlyList<string> tensors, IReadOnlyList<float[]> rows,
        CalibrationMethod method, double percentile)
    {
        var probe = model.Clone();
        foreach (var tensor in tensors.Where(t => probe.Graph.Output.All(o => o.Name != t)))
            probe.Graph.Output.Add(new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        using var session = new InferenceSession(probe.ToByteArray());
        var input = session.InputMetadata.Single();
        var shape = input.Value.Dimensions.Select(d => (long)d).ToArray();

        var extremes = tensors.ToDictionary(t => t, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity));
        Run((tensor, values) =>
        {
            var (min, max) = extremes[tensor];
            foreach (var value in values)
            {
                min = MathF.Min(min, value);
                max = MathF.Max(max, value);
            }
            extremes[tensor] = (min, max);
        });
        if (method == CalibrationMethod.MinMax)
            return extremes;

        var histograms = tensors.ToDictionary(t => t, _ => new long[Bins]);
        Run((tensor, values) =>
        {
            var (min, max) = extremes[tensor];
            var (low, width) = HistogramRange(method, min, max);
            var histogram = histograms[tensor];
            foreach (var value in values)
            {
                var at = (int)((method == CalibrationMethod.Entropy ? MathF.Abs(value) : value - low) / width);
                histogram[Math.Clamp(at, 0, Bins - 1)]++;
            }
        });
        return tensors.ToDictionary(t => t, t =>
        {
            var (min, max) = extremes[t];
            var (low, width) = HistogramRange(method, min, max);
            return method == CalibrationMethod.Percentile
                ? PercentileRange(histograms[t], low, width, percentile)
                : EntropyRange(histograms[t], width, min);
        });

        void Run(Action<string, ReadOnlySpan<float>> observe)
        {
            foreach (var row in rows)
            {
                using var value = OrtValue.CreateTensorValueFromMemory(row, shape);
                using var results = session.Run(new RunOptions(), [input.Key], [value], tensors.ToArray());
                var i = 0;
                foreach (var result in results)
                    observe(tensors[i++], result.GetTensorDataAsSpan<float>());
            }
        }
    }

    /// <summary>The histogram's start and bin width: over [min, max] for percentiles, over [0, max |x|] for entropy.</summary>
    private static (float Low, float Width) HistogramRange(CalibrationMethod method, float min, float max)
    {
        var (low, high) = method == CalibrationMethod.Entropy ? (0f, MathF.Max(MathF.Abs(min), MathF.Abs(max))) : (min, max);
        return (low, MathF.Max((high - low) / Bins, 1e-12f));
    }

    private static (float Min, float Max) PercentileRange(long[] histogram, float low, float width, double percentile)
    {
        var total = histogram.Sum();
        var tail = total * (100 - percentile) / 100;
        long seen = 0;
        var lower = 0;
        while (lower < Bins - 1 && seen + histogram[lower] <= tail)
            seen += histogram[lower++];
        seen = 0;
        var upper = Bins - 1;
        while (upper > lower && seen + histogram[upper] <= tail)
            seen += histogram[upper--];
        return (low + lower * width, low + (upper + 1) * width);
    }

    /// <summary>
    /// TensorRT's entropy calibration on the histogram of |x|: the threshold whose clipped, then 128-level (256 for
    /// non-negative tensors) quantized distribution is closest in KL divergence to the original.
    /// </summary>
    private static (float Min, float Max) EntropyRange(long[] histogram, float width, float min)
    {
        var levels = min >= 0 ? 256 : 128;
        var best = Bins;
        var bestDivergence = double.PositiveInfinity;
        for (var threshold = levels; threshold <= Bins; threshold++)
        {
            var reference = new double[threshold];
            for (var i = 0; i < threshold; i++)
                reference[i] = histogram[i];
            for (var i = threshold; i < Bins; i++)
                reference[threshold - 1] += histogram[i];
            var quantized = new double[threshold];
            var perLevel = (double)threshold / levels;
            for (var level = 0; level < levels; level++)
            {
                var start = (int)Math.Round(level * perLevel);
                var end = (int)Math.Round((level + 1) * perLevel);
                double sum = 0;
                var nonZero = 0;
                for (var i = start; i < end; i++)
                {
                    sum += histogram[i];
                    if (histogram[i] > 0)
                        nonZero++;
                }
                for (var i = start; i < end; i++)
                    quantized[i] = histogram[i] > 0 ? sum / nonZero : 0;
            }
            var divergence = KullbackLeibler(reference, quantized);
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                best = threshold;
            }
        }
        var limit = (best + 0.5f) * width;
        return (min >= 0 ? 0 : -limit, limit);
    }

    private static double KullbackLeibler(double[] p, double[] q)
    {
        double pSum = p.Sum(), qSum = q.Sum(), divergence = 0;
        if (pSum == 0 || qSum == 0)
            return double.PositiveInfinity;
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == 0)
                continue;
            if (q[i] == 0)
                return double.PositiveInfinity;
            divergence += p[i] / pSum * Math.Log(p[i] / pSum / (q[i] / qSum));
        }
        return divergence;
    }
}
