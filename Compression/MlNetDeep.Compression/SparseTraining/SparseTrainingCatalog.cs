namespace MlNetDeep;

/// <summary>Sparse training from scratch as an ML.NET-style extension method on any MlNetDeep trainer.</summary>
public static class SparseTrainingCatalog
{
    /// <summary>
    /// The same trainer, training a sparse network from scratch with SET or RigL (<paramref name="options"/>): fixed overall
    /// sparsity, periodic drop and regrowth. Default options: RigL at 90% sparsity with Erdős–Rényi layer densities.
    /// </summary>
    public static DeepTrainer WithSparseTraining(this DeepTrainer trainer, SparseTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return trainer.WithCallbacks(new DynamicSparseTraining(options ?? new SparseTrainingOptions()));
    }
}
