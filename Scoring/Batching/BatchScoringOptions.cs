namespace MlNetDeep;

/// <summary>Options of batch scoring (<c>ml.Model.WithBatchScoring</c>, <c>ml.Model.CreateBatchPredictionEngine</c>).</summary>
public sealed class BatchScoringOptions
{
    /// <summary>Rows scored in one ONNX Runtime call. Larger batches amortize the per-call cost; 256–1024 suit CPUs. Default 1024.</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>Where and how the ONNX graphs run (provider, threads, optimization). Default: the CPU with ONNX Runtime's defaults.</summary>
    public OnnxExecutionOptions Execution { get; set; } = new();

    /// <summary>Checks every option and throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    public void Validate()
    {
        if (BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"Option {nameof(BatchSize)} must be at least 1 (got {BatchSize}).");
        if (Execution is null)
            throw new ArgumentOutOfRangeException(nameof(Execution), null, $"Option {nameof(Execution)} must be set.");
        Execution.Validate();
    }
}
