using System.Threading.Channels;

namespace MlNetDeep.Serving;

/// <summary>
/// Gathers concurrent prediction requests of one model into batches: each worker waits for a request, takes every request
/// queued behind it up to the batch size, optionally waits up to the delay for more, and scores them as one batch. A batch
/// of one goes through a pooled engine, larger ones through the model's <see cref="IBatchScorer{TData, TPrediction}"/>.
/// Without a delay, a request that finds the queue empty is scored at once on its caller's thread (one such caller at a
/// time), so batching costs no thread hops at low load; under load the queue fills and batches form.
/// </summary>
internal sealed class DynamicBatcher<TData, TPrediction> : IDisposable
    where TData : class
    where TPrediction : class, new()
{
    private readonly ServedModel<TData, TPrediction> model;
    private readonly ServingMetrics metrics;
    private readonly int maximumBatchSize;
    private readonly TimeSpan maximumDelay;
    private readonly Channel<PendingPrediction> queue;
    private readonly Task[] workers;
    private int scoringInline;

    public DynamicBatcher(ServedModel<TData, TPrediction> model, DynamicBatchingOptions options, ServingMetrics metrics)
    {
        this.model = model;
        this.metrics = metrics;
        maximumBatchSize = options.MaximumBatchSize;
        maximumDelay = options.MaximumDelay;
        queue = Channel.CreateUnbounded<PendingPrediction>(new UnboundedChannelOptions
        {
            // Not single-reader even with one worker: only the multi-reader channel can count its items (Enqueue reads the count).
            SingleReader = false,
            SingleWriter = false,
        });
        workers = Enumerable.Range(0, options.MaximumConcurrentBatches).Select(_ => Task.Run(RunAsync)).ToArray();
    }

    public ValueTask<TPrediction> Enqueue(TData example, CancellationToken cancellationToken)
    {
        // Nothing queued and nobody scoring inline: score on the caller's thread, saving two thread hops at low load.
        if (maximumDelay == TimeSpan.Zero && queue.Reader.Count == 0 && Interlocked.CompareExchange(ref scoringInline, 1, 0) == 0)
        {
            try
            {
                return new ValueTask<TPrediction>(ScoreInline(example));
            }
            catch (Exception e)
            {
                return ValueTask.FromException<TPrediction>(e);
            }
            finally
            {
                Volatile.Write(ref scoringInline, 0);
            }
        }
        var pending = new PendingPrediction(example, metrics.Start());
        if (cancellationToken.CanBeCanceled)
            pending.Cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((PendingPrediction)state!).TrySetCanceled(token), pending);
        if (!queue.Writer.TryWrite(pending))
            pending.TrySetException(new ObjectDisposedException(nameof(PredictionEnginePool<TData, TPrediction>)));
        return new ValueTask<TPrediction>(pending.Task);
    }

    public void Dispose()
    {
        queue.Writer.TryComplete();
        Task.WaitAll(workers, TimeSpan.FromSeconds(30));
    }

    private async Task RunAsync()
    {
        var reader = queue.Reader;
        var batch = new List<PendingPrediction>(maximumBatchSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Take(reader, batch);
            if (batch.Count > 0 && batch.Count < maximumBatchSize && maximumDelay > TimeSpan.Zero)
                await WaitForMoreAsync(reader, batch).ConfigureAwait(false);
            if (batch.Count > 0)
                Score(batch);
            batch.Clear();
        }
    }

    private TPrediction ScoreInline(TData example)
    {
        var start = metrics.Start();
        metrics.Batched(model.Tag, 1);
        return model.Predict(example, metrics, start);
    }

    private void Take(ChannelReader<PendingPrediction> reader, List<PendingPrediction> batch)
    {
        while (batch.Count < maximumBatchSize && reader.TryRead(out var pending))
        {
            if (!pending.Task.IsCompleted)
                batch.Add(pending);
        }
    }

    private async Task WaitForMoreAsync(ChannelReader<PendingPrediction> reader, List<PendingPrediction> batch)
    {
        using var deadline = new CancellationTokenSource(maximumDelay);
        try
        {
            while (batch.Count < maximumBatchSize && await reader.WaitToReadAsync(deadline.Token).ConfigureAwait(false))
                Take(reader, batch);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // The delay is over: score what has gathered.
        }
    }

    private void Score(List<PendingPrediction> batch)
    {
        metrics.Batched(model.Tag, batch.Count);
        ModelGeneration<TData, TPrediction>? generation = null;
        try
        {
            generation = model.Acquire();
            if (batch.Count == 1)
            {
                Complete(batch[0], generation.Predict(batch[0].Example));
                return;
            }
            var inputs = new TData[batch.Count];
            for (var i = 0; i < inputs.Length; i++)
                inputs[i] = batch[i].Example;
            var predictions = generation.BatchScorer.Score(inputs);
            if (predictions.Length != inputs.Length)
                throw new InvalidOperationException($"The batch scorer returned {predictions.Length} predictions for {inputs.Length} inputs.");
            for (var i = 0; i < predictions.Length; i++)
                Complete(batch[i], predictions[i]);
        }
        catch (Exception e)
        {
            metrics.Failed(model.Tag, batch.Count);
            foreach (var pending in batch)
            {
                pending.Cancellation.Dispose();
                pending.TrySetException(e);
            }
        }
        finally
        {
            generation?.Release();
        }
    }

    private void Complete(PendingPrediction pending, TPrediction prediction)
    {
        pending.Cancellation.Dispose();
        if (pending.TrySetResult(prediction))
            metrics.Predicted(model.Tag, pending.Started);
    }

    /// <summary>A queued request; its continuation runs on the thread pool, not on the worker that scored it.</summary>
    private sealed class PendingPrediction(TData example, long started) : TaskCompletionSource<TPrediction>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public TData Example { get; } = example;

        public long Started { get; } = started;

        public CancellationTokenRegistration Cancellation { get; set; }
    }
}
