using System.Numerics;
using System.Runtime.InteropServices;

namespace MlNetDeep.Generative;

/// <summary>
/// The Fréchet distance between Gaussians fitted to two sets of feature vectors:
/// ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½). The trace of the square root is the sum of the square roots of the
/// eigenvalues of a symmetric positive semi-definite matrix similar to Σ₁ Σ₂, found with double-precision
/// eigen-decompositions; eigenvalues that rounding pushed below 0 count as 0. No general (non-symmetric) matrix square
/// root is taken, which loses precision or turns complex where Σ₁ Σ₂ is singular.
/// </summary>
internal static class FrechetDistance
{
    public static double Compute(IReadOnlyList<float[]> features1, IReadOnlyList<float[]> features2, string name1, string name2)
    {
        var dimension = RequireFeatures(features1, name1, null);
        RequireFeatures(features2, name2, dimension);
        var set1 = FeatureStatistics.Of(features1, dimension);
        var set2 = FeatureStatistics.Of(features2, dimension);

        double meanDistance = 0, traces = 0;
        for (var i = 0; i < dimension; i++)
        {
            meanDistance += (set1.Mean[i] - set2.Mean[i]) * (set1.Mean[i] - set2.Mean[i]);
            traces += set1.Covariance[i * dimension + i] + set2.Covariance[i * dimension + i];
        }
        var (smaller, other) = set1.Count <= set2.Count ? (set1, set2) : (set2, set1);
        var traceOfRoot = smaller.Count < dimension
            ? TraceOfSquareRootFromRows(smaller, other.Covariance, dimension)
            : TraceOfSquareRootFromCovariances(set1.Covariance, set2.Covariance, dimension);
        // The exact value is a squared distance, never negative; rounding may leave a tiny negative one for equal sets.
        return Math.Max(meanDistance + traces - 2 * traceOfRoot, 0);
    }

    /// <summary>
    /// Tr (Σ₁ Σ₂)^½ = Σ √eigenvalues of Bᵀ Σ₂ B with B = V Λ^½ from Σ₁ = V Λ Vᵀ; Bᵀ Σ₂ B is similar to
    /// Σ₁^½ Σ₂ Σ₁^½ (Σ₁^½ = B Vᵀ, V orthogonal), so the product of square roots need not be formed.
    /// </summary>
    private static double TraceOfSquareRootFromCovariances(double[] covariance1, double[] covariance2, int dimension)
    {
        var (values, vectors) = SymmetricEigen.Decompose(covariance1, dimension, withVectors: true);
        var b = vectors!;
        for (var row = 0; row < dimension; row++)
        {
            for (var column = 0; column < dimension; column++)
                b[row * dimension + column] *= Math.Sqrt(Math.Max(values[column], 0));
        }
        // Σ₂ is symmetric, so Σ₂ B = Σ₂ᵀ B.
        var product = TransposeTimes(b, dimension, dimension, TransposeTimes(covariance2, dimension, dimension, b, dimension), dimension);
        return TraceOfSquareRoot(product, dimension);
    }

    /// <summary>
    /// For a set of n &lt; d rows: with its covariance written Aᵀ A (A = centred rows / √(n − 1)), Σ_A Σ = Aᵀ A Σ has the
    /// non-zero eigenvalues of the n × n matrix A Σ Aᵀ. Working there leaves out the d − n eigenvalues that are exactly 0
    /// but that rounding would turn into noise of order √ε each under the square root.
    /// </summary>
    private static double TraceOfSquareRootFromRows(FeatureStatistics rows, double[] otherCovariance, int dimension)
    {
        var scaled = rows.Centred.Select(v => v / Math.Sqrt(rows.Count - 1)).ToArray();
        // A Σ = A Σᵀ (Σ is symmetric), then (A Σ) Aᵀ.
        var product = TimesTranspose(TimesTranspose(scaled, rows.Count, otherCovariance, dimension, dimension), rows.Count, scaled, rows.Count, dimension);
        return TraceOfSquareRoot(product, rows.Count);
    }

    /// <summary>Σ √λ over the eigenvalues λ of a matrix that is symmetric but for rounding.</summary>
    private static double TraceOfSquareRoot(double[] matrix, int size)
    {
        Symmetrize(matrix, size);
        var (values, _) = SymmetricEigen.Decompose(matrix, size, withVectors: false);
        return values.Sum(v => Math.Sqrt(Math.Max(v, 0)));
    }

    private static int RequireFeatures(IReadOnlyList<float[]> features, string name, int? dimension)
    {
        ArgumentNullException.ThrowIfNull(features, name);
        if (features.Count < 2)
            throw new ArgumentException($"'{name}' has {features.Count} feature vectors; a covariance needs at least 2.", name);
        var expected = dimension ?? features[0]?.Length ?? 0;
        for (var i = 0; i < features.Count; i++)
        {
            var vector = features[i] ?? throw new ArgumentException($"'{name}' row {i} is null.", name);
            if (vector.Length != expected || expected == 0)
                throw new ArgumentException($"'{name}' row {i} has {vector.Length} features; expected {expected} (the same count in both sets, at least 1).", name);
            foreach (var value in vector)
            {
                if (!float.IsFinite(value))
                    throw new ArgumentException($"'{name}' row {i} holds {value}; features must be finite.", name);
            }
        }
        return expected;
    }

    /// <summary>Aᵀ B for row-major A (rows × columnsA) and B (rows × columnsB).</summary>
    private static double[] TransposeTimes(double[] a, int rows, int columnsA, double[] b, int columnsB)
    {
        var result = new double[columnsA * columnsB];
        for (var r = 0; r < rows; r++)
        {
            var bRow = b.AsSpan(r * columnsB, columnsB);
            for (var i = 0; i < columnsA; i++)
            {
                var factor = a[r * columnsA + i];
                if (factor != 0)
                    AddScaled(result.AsSpan(i * columnsB, columnsB), bRow, factor);
            }
        }
        return result;
    }

    /// <summary>A Bᵀ for row-major A (rowsA × columns) and B (rowsB × columns): dot products of rows.</summary>
    private static double[] TimesTranspose(double[] a, int rowsA, double[] b, int rowsB, int columns)
    {
        var result = new double[rowsA * rowsB];
        for (var i = 0; i < rowsA; i++)
        {
            var aRow = a.AsSpan(i * columns, columns);
            for (var j = 0; j < rowsB; j++)
                result[i * rowsB + j] = Dot(aRow, b.AsSpan(j * columns, columns));
        }
        return result;
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var xVectors = MemoryMarshal.Cast<double, Vector<double>>(x);
            var yVectors = MemoryMarshal.Cast<double, Vector<double>>(y);
            var sums = Vector<double>.Zero;
            for (var v = 0; v < xVectors.Length; v++)
                sums += xVectors[v] * yVectors[v];
            sum = Vector.Sum(sums);
            i = xVectors.Length * Vector<double>.Count;
        }
        for (; i < x.Length; i++)
            sum += x[i] * y[i];
        return sum;
    }

    private static void AddScaled(Span<double> target, ReadOnlySpan<double> source, double factor)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && target.Length >= Vector<double>.Count)
        {
            var targetVectors = MemoryMarshal.Cast<double, Vector<double>>(target);
            var sourceVectors = MemoryMarshal.Cast<double, Vector<double>>(source);
            var scale = new Vector<double>(factor);
            for (var v = 0; v < targetVectors.Length; v++)
                targetVectors[v] += sourceVectors[v] * scale;
            i = targetVectors.Length * Vector<double>.Count;
        }
        for (; i < target.Length; i++)
            target[i] += source[i] * factor;
    }

    private static void Symmetrize(double[] matrix, int dimension)
    {
        for (var i = 0; i < dimension; i++)
        {
            for (var j = i + 1; j < dimension; j++)
            {
                var mean = (matrix[i * dimension + j] + matrix[j * dimension + i]) / 2;
                matrix[i * dimension + j] = mean;
                matrix[j * dimension + i] = mean;
            }
        }
    }

    /// <summary>A feature set's size, mean, centred rows (row-major) and unbiased covariance (divided by n − 1).</summary>
    private sealed record FeatureStatistics(int Count, double[] Mean, double[] Centred, double[] Covariance)
    {
        public static FeatureStatistics Of(IReadOnlyList<float[]> features, int dimension)
        {
            var count = features.Count;
            var mean = new double[dimension];
            foreach (var vector in features)
            {
                for (var j = 0; j < dimension; j++)
                    mean[j] += vector[j];
            }
            for (var j = 0; j < dimension; j++)
                mean[j] /= count;
            var centred = new double[count * dimension];
            for (var i = 0; i < count; i++)
            {
                for (var j = 0; j < dimension; j++)
                    centred[i * dimension + j] = features[i][j] - mean[j];
            }
            var covariance = TransposeTimes(centred, count, dimension, centred, dimension);
            for (var i = 0; i < covariance.Length; i++)
                covariance[i] /= count - 1;
            return new FeatureStatistics(count, mean, centred, covariance);
        }
    }
}
