namespace MlNetDeep.Serving;

/// <summary>
/// How <c>PredictAsync</c> calls are gathered into batches: a batch is scored as soon as it holds
/// <see cref="MaximumBatchSize"/> requests or its first request has waited <see cref="MaximumDelay"/>, whichever comes first.
/// </summary>
/// <remarks>
/// With <see cref="MaximumDelay"/> zero (the default) nothing waits on purpose: a request that finds the queue empty is
/// scored at once on its caller's thread, and each batch worker takes whatever requests queued up while it was busy, so
/// batches grow with the load. A delay trades latency for larger
/// batches, which pays only when the batch scorer is much faster per row at larger batches.
/// </remarks>
public sealed class DynamicBatchingOptions
{
    /// <summary>The most requests scored as one batch. Default 64; 1 to 4,096.</summary>
    public int MaximumBatchSize { get; set; } = 64;

    /// <summary>The longest a request waits for others to join its batch. Default zero; 0 to 1 s.</summary>
    public TimeSpan MaximumDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How many batches of one model are scored at the same time. Default 1; 1 to 64.</summary>
    public int MaximumConcurrentBatches { get; set; } = 1;

    internal void Validate()
    {
        if (MaximumBatchSize is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(MaximumBatchSize), MaximumBatchSize, $"{nameof(DynamicBatchingOptions)}.{nameof(MaximumBatchSize)} must be between 1 and 4096.");
        if (MaximumDelay < TimeSpan.Zero || MaximumDelay > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(MaximumDelay), MaximumDelay, $"{nameof(DynamicBatchingOptions)}.{nameof(MaximumDelay)} must be between 0 and 1 second.");
        if (MaximumConcurrentBatches is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(MaximumConcurrentBatches), MaximumConcurrentBatches, $"{nameof(DynamicBatchingOptions)}.{nameof(MaximumConcurrentBatches)} must be between 1 and 64.");
    }
}
