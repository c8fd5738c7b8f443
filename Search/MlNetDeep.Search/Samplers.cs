namespace MlNetDeep.Search;

/// <summary>
/// Chooses the unit-cube coordinates of the next trial. A sampler is a pure function of the search seed, the trial
/// number and the finished trials, so a search is reproducible on one worker and a resumed search samples what the
/// crashed one would have.
/// </summary>
public abstract class SearchSampler
{
    /// <summary>Coordinates in [0, 1) for every parameter of <paramref name="space"/>.</summary>
    /// <param name="space">The space.</param>
    /// <param name="seed">The search's seed.</param>
    /// <param name="trialNumber">The trial's number, from 0.</param>
    /// <param name="finished">Finished trials with a score (completed or stopped early), in finishing order.</param>
    /// <param name="maximize">Whether a higher score is better.</param>
    public abstract double[] Next(SearchSpace space, int seed, int trialNumber, IReadOnlyList<TrialRecord> finished, bool maximize);

    /// <summary>A short name for the trial table and reports.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>A random generator for (seed, trial number), stable across processes and .NET versions.</summary>
    protected static Random RandomFor(int seed, int trialNumber) => new(unchecked(seed * 1_000_003 + trialNumber * 7919 + 17));
}

/// <summary>Independent uniform draws (Bergstra and Bengio's random search).</summary>
public sealed class RandomSampler : SearchSampler
{
    /// <inheritdoc />
    public override double[] Next(SearchSpace space, int seed, int trialNumber, IReadOnlyList<TrialRecord> finished, bool maximize)
    {
        var random = RandomFor(seed, trialNumber);
        return space.Parameters.Select(_ => random.NextDouble()).ToArray();
    }
}

/// <summary>
/// A scrambled Halton sequence: quasi-random points that cover the space more evenly than random draws for small
/// numbers of trials. Each dimension uses its own prime base, and a random shift drawn from the seed (Cranley–Patterson
/// rotation) makes different seeds give different point sets.
/// </summary>
public sealed class HaltonSampler : SearchSampler
{
    private static readonly int[] Primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113];

    /// <inheritdoc />
    public override double[] Next(SearchSpace space, int seed, int trialNumber, IReadOnlyList<TrialRecord> finished, bool maximize)
    {
        var shifts = RandomFor(seed, -1);
        var point = new double[space.Parameters.Count];
        for (var d = 0; d < point.Length; d++)
        {
            var prime = d < Primes.Length ? Primes[d] : Primes[d % Primes.Length] + 2 * d;
            var value = RadicalInverse(trialNumber + 1, prime) + shifts.NextDouble();
            point[d] = value - Math.Floor(value);
        }
        return point;
    }

    private static double RadicalInverse(int index, int radix)
    {
        double result = 0, fraction = 1.0 / radix;
        for (var i = index; i > 0; i /= radix, fraction /= radix)
            result += (i % radix) * fraction;
        return result;
    }
}

/// <summary>
/// The tree-structured Parzen estimator (Bergstra et al. 2011; Optuna's default sampler), one dimension at a time: after
/// <see cref="StartupTrials"/> random trials, the finished trials split into the best <see cref="Gamma"/> and the rest,
/// each dimension gets a Parzen density of each group, and of <see cref="Candidates"/> draws from the good density
/// the one with the largest good/bad ratio is taken. Conditional parameters learn only from trials where they were active.
/// </summary>
public sealed class TpeSampler : SearchSampler
{
    /// <summary>Random trials before the model is used. Default 10 (Optuna's).</summary>
    public int StartupTrials { get; init; } = 10;

    /// <summary>The fraction of finished trials counted as good. Default 0.25.</summary>
    public double Gamma { get; init; } = 0.25;

    /// <summary>Draws from the good density per dimension. Default 24 (Optuna's).</summary>
    public int Candidates { get; init; } = 24;

    /// <inheritdoc />
    public override double[] Next(SearchSpace space, int seed, int trialNumber, IReadOnlyList<TrialRecord> finished, bool maximize)
    {
        var random = RandomFor(seed, trialNumber);
        var scored = finished.Where(t => t.Score is not null).ToList();
        if (scored.Count < Math.Max(StartupTrials, 2))
            return space.Parameters.Select(_ => random.NextDouble()).ToArray();
        var point = new double[space.Parameters.Count];
        for (var d = 0; d < point.Length; d++)
        {
            var parameter = space.Parameters[d];
            var observed = scored.Where(t => t.Parameters.ContainsKey(parameter.Name) && t.Unit.Count == point.Length)
                .OrderBy(t => maximize ? -t.Score!.Value : t.Score!.Value).Select(t => t.Unit[d]).ToArray();
            if (observed.Length < 2)
            {
                point[d] = random.NextDouble();
                continue;
            }
            var goodCount = Math.Clamp((int)Math.Ceiling(Gamma * observed.Length), 1, observed.Length - 1);
            var good = observed[..goodCount];
            var bad = observed[goodCount..];
            point[d] = parameter.Categories is { } categories
                ? BestCategory(categories, good, bad, random)
                : BestContinuous(good, bad, random);
        }
        return point;
    }

    private double BestContinuous(double[] good, double[] bad, Random random)
    {
        var goodWidth = Bandwidth(good);
        var badWidth = Bandwidth(bad);
        double best = random.NextDouble(), bestRatio = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            // Draw from the good mixture: a kernel around a good point, or the uniform prior.
            var k = random.Next(good.Length + 1);
            var x = k == good.Length ? random.NextDouble() : Math.Clamp(good[k] + goodWidth * Gaussian(random), 0, Math.BitDecrement(1.0));
            var ratio = Math.Log(Density(x, good, goodWidth)) - Math.Log(Density(x, bad, badWidth));
            if (ratio > bestRatio)
                (best, bestRatio) = (x, ratio);
        }
        return best;
    }

    private double BestCategory(int categories, double[] good, double[] bad, Random random)
    {
        var goodWeights = CategoryWeights(categories, good);
        var badWeights = CategoryWeights(categories, bad);
        int best = 0;
        var bestRatio = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            var category = Draw(goodWeights, random);
            var ratio = Math.Log(goodWeights[category]) - Math.Log(badWeights[category]);
            if (ratio > bestRatio)
                (best, bestRatio) = (category, ratio);
        }
        return (best + random.NextDouble()) / categories;
    }

    private static double[] CategoryWeights(int categories, double[] units)
    {
        var weights = Enumerable.Repeat(1.0, categories).ToArray();   // one prior count per category
        foreach (var u in units)
            weights[Math.Clamp((int)(u * categories), 0, categories - 1)] += 1;
        var total = weights.Sum();
        return weights.Select(w => w / total).ToArray();
    }

    private static int Draw(double[] weights, Random random)
    {
        var r = random.NextDouble();
        for (var i = 0; i < weights.Length; i++)
        {
            r -= weights[i];
            if (r <= 0)
                return i;
        }
        return weights.Length - 1;
    }

    private static double Bandwidth(double[] points)
    {
        var mean = points.Average();
        var std = Math.Sqrt(points.Select(p => (p - mean) * (p - mean)).Average());
        return Math.Clamp(1.06 * Math.Max(std, 0.1) * Math.Pow(points.Length, -0.2), 0.02, 0.5);
    }

    private static double Density(double x, double[] points, double width)
    {
        var sum = 1.0;   // the uniform prior, weighted like one point
        foreach (var p in points)
            sum += Math.Exp(-0.5 * Math.Pow((x - p) / width, 2)) / (width * Math.Sqrt(2 * Math.PI));
        return sum / (points.Length + 1);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
