namespace MlNetDeep;

/// <summary>How much ONNX Runtime rewrites a graph before running it (its <c>GraphOptimizationLevel</c>).</summary>
public enum OnnxGraphOptimization
{
    /// <summary>No rewriting.</summary>
    None,

    /// <summary>Constant folding and redundant-node removal.</summary>
    Basic,

    /// <summary>Also fusions of common node patterns (e.g. Gemm + activation, quantized operators).</summary>
    Extended,

    /// <summary>Everything, including layout changes (ONNX Runtime's default).</summary>
    All,
}

/// <summary>
/// Where and how a model's ONNX graphs run: the ONNX Runtime execution provider, its device, thread counts and graph
/// optimization. Give it to <c>ml.UseOnnxExecution(...)</c> before loading a model (ML.NET's row-by-row scorer) or to the
/// batch scoring options. Training's device (the trainers' <c>Device</c> option) is separate: a model trained on a GPU can score
/// on a CPU and the other way round.
/// </summary>
public sealed class OnnxExecutionOptions
{
    /// <summary>
    /// The execution provider as ONNX Runtime names it, with or without the <c>ExecutionProvider</c> suffix: "CPU",
    /// "CUDA", "TensorRT", "DirectML" (or "Dml"), "OpenVINO", "CoreML", "ROCm", "QNN", "XNNPACK", … Providers other than the
    /// CPU need the ONNX Runtime package that contains them (e.g. Microsoft.ML.OnnxRuntime.Gpu 1.32.0 for CUDA and TensorRT)
    /// in the application instead of Microsoft.ML.OnnxRuntime. Default "CPU".
    /// </summary>
    public string ExecutionProvider { get; set; } = "CPU";

    /// <summary>The device index for GPU providers. Default 0.</summary>
    public int DeviceId { get; set; }

    /// <summary>
    /// Whether a provider that this process's ONNX Runtime lacks falls back to the CPU (explicitly, see
    /// <see cref="OnnxExecution.ResolveProvider"/>) instead of failing. Default false: asking for an absent provider is an error naming the package.
    /// </summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>Threads inside one operator; null for ONNX Runtime's choice (one per core). Default null.</summary>
    public int? IntraOpThreads { get; set; }

    /// <summary>Threads running independent operators in parallel; null for ONNX Runtime's choice. Default null.</summary>
    public int? InterOpThreads { get; set; }

    /// <summary>How much ONNX Runtime rewrites the graph. Default <see cref="OnnxGraphOptimization.All"/>.</summary>
    public OnnxGraphOptimization GraphOptimization { get; set; } = OnnxGraphOptimization.All;

    /// <summary>A file ONNX Runtime writes the optimized graph to (to see which kernels ran, e.g. fused quantized ones); null for none. Default null.</summary>
    public string? OptimizedModelFilePath { get; set; }

    /// <summary>Checks every option and throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ExecutionProvider))
            throw new ArgumentOutOfRangeException(nameof(ExecutionProvider), ExecutionProvider, $"Option {nameof(ExecutionProvider)} must name an ONNX Runtime execution provider (e.g. CPU, CUDA).");
        if (DeviceId < 0)
            throw new ArgumentOutOfRangeException(nameof(DeviceId), DeviceId, $"Option {nameof(DeviceId)} must be 0 or more (got {DeviceId}).");
        if (IntraOpThreads is < 1)
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, $"Option {nameof(IntraOpThreads)} must be at least 1 (got {IntraOpThreads}).");
        if (InterOpThreads is < 1)
            throw new ArgumentOutOfRangeException(nameof(InterOpThreads), InterOpThreads, $"Option {nameof(InterOpThreads)} must be at least 1 (got {InterOpThreads}).");
    }
}
