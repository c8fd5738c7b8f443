namespace MlNetDeep.Compression;

/// <summary>Per-layer densities that together keep a given share of all weights.</summary>
internal static class LayerDensities
{
    /// <summary>
    /// Densities for weights of <paramref name="shapes"/> with overall density 1 − <paramref name="sparsity"/>: all equal
    /// (uniform), or proportional to Σdims / Πdims (Erdős–Rényi-Kernel), with any layer that would exceed 1 made dense and
    /// the others rescaled.
    /// </summary>
    public static double[] Compute(IReadOnlyList<long[]> shapes, double sparsity, LayerDensity distribution)
    {
        if (distribution == LayerDensity.Uniform)
            return shapes.Select(_ => 1 - sparsity).ToArray();
        var sizes = shapes.Select(s => (double)s.Aggregate(1L, (a, b) => a * b)).ToArray();
        var raw = shapes.Select((s, i) => s.Sum() / sizes[i]).ToArray();
        var dense = new bool[shapes.Count];
        var kept = (1 - sparsity) * sizes.Sum();
        while (true)
        {
            var scaled = Enumerable.Range(0, shapes.Count).Where(i => !dense[i]).Sum(i => raw[i] * sizes[i]);
            var epsilon = (kept - Enumerable.Range(0, shapes.Count).Where(i => dense[i]).Sum(i => sizes[i])) / scaled;
            var overflowing = Enumerable.Range(0, shapes.Count).Where(i => !dense[i] && epsilon * raw[i] > 1).OrderByDescending(i => raw[i]).FirstOrDefault(-1);
            if (overflowing < 0 || scaled == 0)
                return Enumerable.Range(0, shapes.Count).Select(i => dense[i] ? 1 : Math.Clamp(epsilon * raw[i], 0, 1)).ToArray();
            dense[overflowing] = true;
        }
    }
}
