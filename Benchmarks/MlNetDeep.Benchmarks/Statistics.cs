namespace MlNetDeep.Benchmarks;

internal static class Statistics
{
    public static double Median(IEnumerable<double> values) => Percentile(values, 50);

    /// <summary>The percentile with linear interpolation between the closest ranks.</summary>
    public static double Percentile(IEnumerable<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            throw new ArgumentException("No values.", nameof(values));
        var rank = percent / 100 * (sorted.Length - 1);
        var below = (int)Math.Floor(rank);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (rank - below);
    }

    /// <summary>A run's epochs without the first, which pays for warm-up (allocator, thread pool, JIT).</summary>
    public static IEnumerable<double> AfterWarmup(IEnumerable<double> epochSeconds) => epochSeconds.Skip(1);

    /// <summary>Rounds for the report: four decimals are below any noise these figures have.</summary>
    public static double Round(double value) => Math.Round(value, 4);

    public static double[] Round(IEnumerable<double> values) => values.Select(Round).ToArray();

    public static double Mib(long bytes) => Round(bytes / (1024.0 * 1024.0));
}
