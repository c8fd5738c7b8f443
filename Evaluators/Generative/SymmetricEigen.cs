namespace MlNetDeep.Generative;

/// <summary>
/// Eigen-decomposition of a real symmetric matrix in double precision: Householder reduction to tridiagonal form, then
/// implicit QR steps with Wilkinson shifts (Golub and Van Loan, Matrix Computations, 8.3). Backward stable: the
/// eigenvalues are exact for a matrix within a few machine epsilons (relative to its norm) of the input.
/// </summary>
internal static class SymmetricEigen
{
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>
    /// Eigenvalues of the n × n symmetric matrix <paramref name="matrix"/> (row-major, only read) and, when
    /// <paramref name="withVectors"/>, the orthonormal eigenvectors as the columns of a row-major n × n matrix, so that
    /// matrix = V · diag(values) · Vᵀ.
    /// </summary>
    public static (double[] Values, double[]? Vectors) Decompose(double[] matrix, int n, bool withVectors)
    {
        if (matrix.Length != n * n)
            throw new ArgumentException($"Expected {n} × {n} = {n * n} values, got {matrix.Length}.", nameof(matrix));
        var work = (double[])matrix.Clone();
        var vectors = withVectors ? Identity(n) : null;
        var diagonal = new double[n];
        var offDiagonal = new double[Math.Max(n - 1, 0)];
        Tridiagonalize(work, n, vectors, diagonal, offDiagonal);
        DiagonalizeTridiagonal(diagonal, offDiagonal, vectors, n);
        return (diagonal, vectors);
    }

    private static double[] Identity(int n)
    {
        var identity = new double[n * n];
        for (var i = 0; i < n; i++)
            identity[i * n + i] = 1;
        return identity;
    }

    /// <summary>
    /// Reduces the symmetric <paramref name="a"/> to tridiagonal T = Qᵀ A Q with Householder reflections
    /// H = I − β v vᵀ, accumulating Q into <paramref name="q"/> when given.
    /// </summary>
    private static void Tridiagonalize(double[] a, int n, double[]? q, double[] diagonal, double[] offDiagonal)
    {
        var v = new double[n];
        var p = new double[n];
        for (var k = 0; k < n - 2; k++)
        {
            // v = x − α e₁ for x = A[k+1.., k], with α of the opposite sign to x₀ so nothing cancels.
            double norm = 0;
            for (var i = k + 1; i < n; i++)
                norm += a[i * n + k] * a[i * n + k];
            norm = Math.Sqrt(norm);
            var x0 = a[(k + 1) * n + k];
            var alpha = x0 > 0 ? -norm : norm;
            for (var i = k + 1; i < n; i++)
                v[i] = a[i * n + k];
            v[k + 1] -= alpha;
            double vv = 0;
            for (var i = k + 1; i < n; i++)
                vv += v[i] * v[i];
            offDiagonal[k] = alpha;
            if (vv == 0)
            {
                offDiagonal[k] = x0;
                continue;
            }
            var beta = 2 / vv;

            // A₂₂ ← H A₂₂ H = A₂₂ − v wᵀ − w vᵀ with p = β A₂₂ v and w = p − (β pᵀv / 2) v.
            double pv = 0;
            for (var i = k + 1; i < n; i++)
            {
                double sum = 0;
                for (var j = k + 1; j < n; j++)
                    sum += a[i * n + j] * v[j];
                p[i] = beta * sum;
                pv += p[i] * v[i];
            }
            var half = beta * pv / 2;
            for (var i = k + 1; i < n; i++)
                p[i] -= half * v[i];
            for (var i = k + 1; i < n; i++)
            {
                var row = i * n;
                for (var j = k + 1; j < n; j++)
                    a[row + j] -= v[i] * p[j] + p[i] * v[j];
            }

            if (q is not null)
            {
                // Q ← Q H: each row r of Q loses β (r · v) v.
                for (var r = 0; r < n; r++)
                {
                    var row = r * n;
                    double dot = 0;
                    for (var j = k + 1; j < n; j++)
                        dot += q[row + j] * v[j];
                    dot *= beta;
                    for (var j = k + 1; j < n; j++)
                        q[row + j] -= dot * v[j];
                }
            }
        }
        for (var i = 0; i < n; i++)
            diagonal[i] = a[i * n + i];
        if (n >= 2)
            offDiagonal[n - 2] = a[(n - 1) * n + n - 2];
    }

    /// <summary>
    /// Implicit symmetric QR on the tridiagonal (<paramref name="d"/>, <paramref name="e"/>): Wilkinson-shifted steps
    /// chase the bulge down each unreduced block until every off-diagonal entry is negligible. Rotations are applied to
    /// the columns of <paramref name="q"/> when given.
    /// </summary>
    private static void DiagonalizeTridiagonal(double[] d, double[] e, double[]? q, int n)
    {
        var maxSteps = 60 * Math.Max(n, 1);
        var high = n - 1;
        // Off-diagonal entries below eps·‖T‖ are negligible even between two (near-)zero diagonal entries, as the zero
        // variances of dead ReLU features give: relative to those entries alone, they would never count as converged.
        var scale = 0.0;
        for (var i = 0; i < n; i++)
            scale = Math.Max(scale, Math.Abs(d[i]) + (i < n - 1 ? Math.Abs(e[i]) : 0) + (i > 0 ? Math.Abs(e[i - 1]) : 0));
        var negligible = MachineEpsilon * scale;
        for (var steps = 0; high > 0;)
        {
            for (var i = 0; i < high; i++)
            {
                if (Math.Abs(e[i]) <= negligible || Math.Abs(e[i]) <= MachineEpsilon * (Math.Abs(d[i]) + Math.Abs(d[i + 1])))
                    e[i] = 0;
            }
            if (e[high - 1] == 0)
            {
                high--;
                continue;
            }
            var low = high - 1;
            while (low > 0 && e[low - 1] != 0)
                low--;
            if (++steps > maxSteps)
                throw new ArithmeticException("The symmetric eigen-decomposition did not converge (the matrix holds NaN or infinite values?).");
            QrStep(d, e, q, n, low, high);
        }
    }

    /// <summary>One implicit QR step with a Wilkinson shift on the unreduced block low..high.</summary>
    private static void QrStep(double[] d, double[] e, double[]? q, int n, int low, int high)
    {
        var delta = (d[high - 1] - d[high]) / 2;
        var last = e[high - 1];
        var shift = d[high] - last * last / (delta + (delta >= 0 ? 1 : -1) * Math.Sqrt(delta * delta + last * last));

        // The first rotation acts as if on T − shift·I; each later one removes the bulge the previous one made.
        var x = d[low] - shift;
        var z = e[low];
        for (var k = low; k < high; k++)
        {
            var r = Math.Sqrt(x * x + z * z);
            var c = r == 0 ? 1 : x / r;
            var s = r == 0 ? 0 : -z / r;
            if (k > low)
                e[k - 1] = r;

            // Gᵀ T G on rows and columns k, k + 1, with G = [[c, s], [−s, c]].
            var a = d[k];
            var b = e[k];
            var cc = d[k + 1];
            d[k] = c * c * a - 2 * c * s * b + s * s * cc;
            d[k + 1] = s * s * a + 2 * c * s * b + c * c * cc;
            e[k] = c * s * (a - cc) + (c * c - s * s) * b;
            if (k + 1 < high)
            {
                x = e[k];
                z = -s * e[k + 1];
                e[k + 1] *= c;
            }

            if (q is not null)
            {
                for (var r2 = 0; r2 < n; r2++)
                {
                    var row = r2 * n;
                    var left = q[row + k];
                    var right = q[row + k + 1];
                    q[row + k] = c * left - s * right;
                    q[row + k + 1] = s * left + c * right;
                }
            }
        }
    }
}
