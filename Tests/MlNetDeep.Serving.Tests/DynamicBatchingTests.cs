using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using WebApi;
using static MlNetDeep.Serving.Tests.TestModels;

namespace MlNetDeep.Serving.Tests;

[TestClass]
public sealed class DynamicBatchingTests
{
    [TestMethod]
    public async Task ConcurrentRequestsAreScoredInBatchesAndEachCallerGetsItsOwnPrediction()
    {
        using var metrics = new RecordedMetrics("batched");
        using var services = Pools.Create(p => p.FromFile("batched", FeedForwardA).WithDynamicBatching(o =>
        {
            o.MaximumBatchSize = 16;
            o.MaximumDelay = TimeSpan.FromMilliseconds(50);
        }));
        var pool = services.Pool();
        Assert.IsTrue(pool.IsBatching);
        var outputs = await Task.WhenAll(Probes.Select(p => pool.PredictAsync("batched", p).AsTask()));
        var expected = Expected(FeedForwardA);
        for (var i = 0; i < Probes.Length; i++)
            Assert.IsTrue(Same(expected[i], outputs[i]), $"probe {i}");
        var batches = metrics.Values(ServingMetrics.BatchSize);
        Assert.AreEqual(Probes.Length, (int)batches.Sum());
        Assert.IsTrue(batches.Max() > 1, "no request was batched with another");
        Assert.IsTrue(batches.Max() <= 16);
        Assert.AreEqual(Probes.Length, (int)metrics.Values(ServingMetrics.Predictions).Sum());
        Assert.AreEqual(Probes.Length, metrics.Values(ServingMetrics.PredictionDuration).Count);
    }

    [TestMethod]
    public async Task ABatchIsScoredAsSoonAsItIsFullWithoutWaitingForTheDelay()
    {
        using var metrics = new RecordedMetrics("full");
        using var services = Pools.Create(p => p.FromFile("full", PlainMlNet).WithDynamicBatching(o =>
        {
            o.MaximumBatchSize = 8;
            o.MaximumDelay = TimeSpan.FromSeconds(1);
        }));
        var pool = services.Pool();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outputs = await Task.WhenAll(Probes.Take(8).Select(p => pool.PredictAsync("full", p).AsTask()));
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(0.9), $"took {clock.Elapsed}");
        CollectionAssert.AreEqual(new[] { 8.0 }, metrics.Values(ServingMetrics.BatchSize).ToArray());
        Assert.IsTrue(outputs.Select((o, i) => Same(Expected(PlainMlNet)[i], o)).All(same => same));
    }

    [TestMethod]
    public async Task ARequestCancelledWhileWaitingForItsBatchIsCancelled()
    {
        using var services = Pools.Create(p => p.FromFile(FeedForwardA).WithDynamicBatching(o => o.MaximumDelay = TimeSpan.FromSeconds(1)));
        using var cancel = new CancellationTokenSource();
        var blocker = services.Pool().PredictAsync(Probes[0]);
        var waiting = services.Pool().PredictAsync(Probes[1], cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await waiting);
        Assert.IsTrue(Same(Expected(FeedForwardA)[0], await blocker));
    }

    [TestMethod]
    public async Task ARegisteredBatchScorerFactoryScoresTheBatches()
    {
        var factory = new CountingScorerFactory();
        using var services = Pools.Create(p => p.FromFile(FeedForwardA).WithDynamicBatching(o => o.MaximumDelay = TimeSpan.FromMilliseconds(100)),
            services: s => s.AddSingleton<IBatchScorerFactory>(factory));
        var outputs = await Task.WhenAll(Probes.Select(p => services.Pool().PredictAsync(p).AsTask()));
        Assert.IsTrue(factory.ScoredRows > 1);
        Assert.IsTrue(outputs.Select((o, i) => Same(Expected(FeedForwardA)[i], o)).All(same => same));
    }

    [TestMethod]
    public async Task WithoutADelayALoneRequestIsScoredAtOnceOnTheCallersThread()
    {
        using var metrics = new RecordedMetrics("lone");
        using var services = Pools.Create(p => p.FromFile("lone", FeedForwardA).WithDynamicBatching());
        var pending = services.Pool().PredictAsync("lone", Probes[4]);
        Assert.IsTrue(pending.IsCompletedSuccessfully);
        Assert.IsTrue(Same(Expected(FeedForwardA)[4], await pending));
        CollectionAssert.AreEqual(new[] { 1.0 }, metrics.Values(ServingMetrics.BatchSize).ToArray());
    }

    [TestMethod]
    public async Task WithoutBatchingPredictAsyncScoresAtOnce()
    {
        using var services = Pools.Create(p => p.FromFile(FeedForwardA));
        var pending = services.Pool().PredictAsync(Probes[2]);
        Assert.IsTrue(pending.IsCompletedSuccessfully);
        Assert.IsTrue(Same(Expected(FeedForwardA)[2], await pending));
        await Assert.ThrowsAsync<ArgumentException>(async () => await services.Pool().PredictAsync("nope", Probes[2]));
    }

    [TestMethod]
    public async Task ReloadsAreCounted()
    {
        using var metrics = new RecordedMetrics("counted");
        var source = new InMemoryModelSource(File.ReadAllBytes(FeedForwardA), "1");
        using var services = Pools.Create(p => p.FromSource("counted", _ => source));
        await source.PublishAsync(File.ReadAllBytes(FeedForwardB), "2", services.Pool(), "counted");
        Assert.AreEqual(1, metrics.Values(ServingMetrics.Reloads).Count);
    }

    /// <summary>Records the serving instruments' measurements for one model.</summary>
    private sealed class RecordedMetrics : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value)> measurements = new();

        public RecordedMetrics(string modelName)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ServingMetrics.MeterName)
                    l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
            listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
            listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
            listener.Start();

            void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "model" && (string?)tag.Value == modelName)
                        measurements.Enqueue((instrument.Name, value));
                }
            }
        }

        public List<double> Values(string instrument) => measurements.Where(m => m.Instrument == instrument).Select(m => m.Value).ToList();

        public void Dispose() => listener.Dispose();
    }

    private sealed class CountingScorerFactory : IBatchScorerFactory
    {
        private int scoredRows;

        public int ScoredRows => scoredRows;

        public IBatchScorer<TData, TPrediction>? Create<TData, TPrediction>(MLContext mlContext, ITransformer model, DataViewSchema inputSchema)
            where TData : class
            where TPrediction : class, new() =>
            new Counting<TData, TPrediction>(new TransformBatchScorer<TData, TPrediction>(mlContext, model), this);

        private sealed class Counting<TData, TPrediction>(IBatchScorer<TData, TPrediction> inner, CountingScorerFactory factory) : IBatchScorer<TData, TPrediction>
            where TData : class
            where TPrediction : class, new()
        {
            public TPrediction[] Score(IReadOnlyList<TData> inputs)
            {
                Interlocked.Add(ref factory.scoredRows, inputs.Count);
                return inner.Score(inputs);
            }

            public void Dispose() => inner.Dispose();
        }
    }
}
