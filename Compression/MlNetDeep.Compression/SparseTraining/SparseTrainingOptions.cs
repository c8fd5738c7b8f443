namespace MlNetDeep;

/// <summary>How dynamic sparse training chooses the connections it regrows.</summary>
public enum SparseTrainingMethod
{
    /// <summary>Sparse Evolutionary Training (Mocanu et al. 2018): regrow at random.</summary>
    Set,

    /// <summary>Rigged Lottery (Evci et al. 2020): regrow where the dense gradient is largest.</summary>
    Rigl,
}

/// <summary>How the overall density is shared among the layers.</summary>
public enum LayerDensity
{
    /// <summary>
    /// Erdős–Rényi: a layer's density is proportional to (fan-in + fan-out) / (fan-in × fan-out) — with the kernel's height
    /// and width added for convolutions (Erdős–Rényi-Kernel) — so small layers stay denser; layers that would exceed 1 are dense.
    /// </summary>
    ErdosRenyi,

    /// <summary>Every layer at the same density.</summary>
    Uniform,
}

/// <summary>
/// Sparse training from scratch (<see cref="SparseTrainingCatalog.WithSparseTraining"/>): the network starts sparse, at a
/// fixed overall <see cref="Sparsity"/> shared among layers by <see cref="Distribution"/>, and every
/// <see cref="UpdateInterval"/> steps drops the active weights of smallest magnitude and regrows as many — at random (SET)
/// or by gradient magnitude (RigL), new weights starting at zero — with the fraction updated decaying as
/// <see cref="DropFraction"/>·(1 + cos(π t / T))/2 until <see cref="EndFraction"/> of training. Sparsity never changes, so
/// a sparse model costs its sparse size throughout, and the saved model stores its weights compactly.
/// </summary>
public sealed class SparseTrainingOptions : CompressionOptions
{
    /// <summary>SET or RigL. Default <see cref="SparseTrainingMethod.Rigl"/>.</summary>
    public SparseTrainingMethod Method { get; set; } = SparseTrainingMethod.Rigl;

    /// <summary>The overall fraction of zero weights among the sparse weights, in [0, 1). Default 0.9.</summary>
    public double Sparsity { get; set; } = 0.9;

    /// <summary>How density is shared among layers. Default <see cref="LayerDensity.ErdosRenyi"/>.</summary>
    public LayerDensity Distribution { get; set; } = LayerDensity.ErdosRenyi;

    /// <summary>Optimizer steps between connectivity updates (ΔT). Default 100.</summary>
    public int UpdateInterval { get; set; } = 100;

    /// <summary>The fraction of each layer's active weights replaced at the first update (α), in (0, 1). Default 0.3.</summary>
    public double DropFraction { get; set; } = 0.3;

    /// <summary>The fraction of all training steps after which connectivity stays fixed, in (0, 1]. Default 0.75.</summary>
    public double EndFraction { get; set; } = 0.75;

    /// <summary>The weights trained sparse, by name (e.g. "1.weight"; <see cref="NetworkReport"/> lists them); null for every weight matrix and convolution kernel. Default null.</summary>
    public IReadOnlyList<string>? Weights { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Enum.IsDefined(Method), nameof(Method), Method, "must be Set or Rigl");
        Require(Sparsity is >= 0 and < 1, nameof(Sparsity), Sparsity, "must be in [0, 1)");
        Require(Enum.IsDefined(Distribution), nameof(Distribution), Distribution, "must be ErdosRenyi or Uniform");
        Require(UpdateInterval >= 1, nameof(UpdateInterval), UpdateInterval, "must be at least 1");
        Require(DropFraction is > 0 and < 1, nameof(DropFraction), DropFraction, "must be in (0, 1)");
        Require(EndFraction is > 0 and <= 1, nameof(EndFraction), EndFraction, "must be in (0, 1]");
        Require(Weights is null || Weights.Count > 0 && Weights.All(w => !string.IsNullOrWhiteSpace(w)), nameof(Weights),
            Weights is null ? null : $"[{string.Join(", ", Weights)}]", "must be null or list weight names");
    }
}
