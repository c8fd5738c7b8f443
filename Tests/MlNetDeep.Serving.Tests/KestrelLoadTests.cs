using System.Diagnostics;
using WebApi;
using static MlNetDeep.Serving.Tests.TestModels;

namespace MlNetDeep.Serving.Tests;

/// <summary>The sample Web API on real Kestrel at a loopback port, driven by 16 concurrent HTTP clients.</summary>
[TestClass]
public sealed class KestrelLoadTests
{
    private const int Clients = 16;

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task SixteenConcurrentClientsGetTheSingleThreadedPredictionsWithoutErrors(bool batching)
    {
        using var server = new WebApiServer(FeedForwardA, batching, kestrel: true);
        var load = new Load(server.Address!, FeedForwardA);
        await load.Run(requestsPerClient: 100);
        Assert.AreEqual(0, load.Failed, load.FirstFailure);
        Assert.AreEqual(0, load.Wrong);
        Assert.AreEqual(Clients * 100, load.Matched);
    }

    [TestMethod]
    public async Task SixReloadsUnderLoadFailNoRequestAndTheNewModelAnswersWithinTwoSecondsAtTheMedian()
    {
        var path = CopyToNewFolder(FeedForwardA);
        using var server = new WebApiServer(path, kestrel: true);
        var load = new Load(server.Address!, FeedForwardA, FeedForwardB);
        using var stop = new CancellationTokenSource();
        var traffic = load.Run(stop.Token);
        // Reloads start once the load is steady: every client connected and the server past its first requests.
        Assert.IsNotNull(await Pools.Until(() => load.Matched >= 20 * Clients, TimeSpan.FromSeconds(30)), "the load did not get going");
        using var checker = new HttpClient { BaseAddress = server.Address };
        // Connected before the first reload, so that the times below are the reloads' and not a connection's set-up.
        Assert.IsTrue(Same(Expected(FeedForwardA)[0], (await WebApiServer.ReadPrediction(await checker.PostAsync("/predict", WebApiServer.Body(0))))!));
        var answeredAfter = new List<TimeSpan>();
        for (var reload = 1; reload <= 6; reload++)
        {
            var next = reload % 2 == 1 ? FeedForwardB : FeedForwardA;
            var clock = Stopwatch.StartNew();
            Replace(path, next);
            while (!Same(Expected(next)[0], (await WebApiServer.ReadPrediction(await checker.PostAsync("/predict", WebApiServer.Body(0))))!))
                Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(10), $"reload {reload}: the new model did not answer within 10 s");
            answeredAfter.Add(clock.Elapsed);
        }
        Console.WriteLine($"new model answered after {string.Join(", ", answeredAfter.Select(t => $"{t.TotalSeconds:F2} s"))}");
        await stop.CancelAsync();
        await traffic;
        Assert.AreEqual(0, load.Failed, load.FirstFailure);
        Assert.AreEqual(0, load.Wrong, "a response matched neither model");
        Assert.IsTrue(load.Matched > Clients, $"only {load.Matched} requests ran during the reloads");
        Assert.AreEqual(6, server.Pool.GetStatus().Reloads);
        // Not every reload: here the 16 clients share the server's 2 cores and thread pool, and loading a model.zip with a
        // ValueMapping transform waits on thread-pool work inside ML.NET, so one reload in a few waits for the pool to grow.
        Assert.IsTrue(answeredAfter.Order().ElementAt(answeredAfter.Count / 2) < TimeSpan.FromSeconds(2),
            $"the median reload took over 2 s to answer ({string.Join(", ", answeredAfter.Select(t => $"{t.TotalSeconds:F2} s"))})");
    }

    [TestMethod]
    public async Task ACorruptReplacementUnderLoadLeavesTheOldModelAnswering()
    {
        var path = CopyToNewFolder(FeedForwardA);
        using var server = new WebApiServer(path, batching: true, kestrel: true);
        var load = new Load(server.Address!, FeedForwardA);
        using var stop = new CancellationTokenSource();
        var traffic = load.Run(stop.Token);
        ReplaceWithBytes(path, [.. File.ReadAllBytes(path).Take(3000)]);
        Assert.IsNotNull(await Pools.Until(() => server.Pool.GetStatus().LastReloadError is not null, TimeSpan.FromSeconds(5)));
        var afterError = load.Matched;
        await Pools.Until(() => load.Matched > afterError + 100, TimeSpan.FromSeconds(5));
        await stop.CancelAsync();
        await traffic;
        Assert.AreEqual(0, load.Failed, load.FirstFailure);
        Assert.AreEqual(0, load.Wrong);
        Assert.IsTrue(load.Matched > afterError + 100, "the old model stopped answering");
    }

    /// <summary>16 clients, each with its own connection, posting probes and checking every answer against the expected models.</summary>
    private sealed class Load(Uri address, params string[] models)
    {
        private int matched;
        private int wrong;
        private int failed;

        public int Matched => matched;

        public int Wrong => wrong;

        public int Failed => failed;

        public string? FirstFailure { get; private set; }

        public Task Run(int requestsPerClient) => Run(requestsPerClient, CancellationToken.None);

        public Task Run(CancellationToken stop) => Run(int.MaxValue, stop);

        private Task Run(int requestsPerClient, CancellationToken stop) => Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = address };
            for (var r = 0; r < requestsPerClient && !stop.IsCancellationRequested; r++)
            {
                var probe = (c * 7 + r) % Probes.Length;
                try
                {
                    using var response = await client.PostAsync("/predict", WebApiServer.Body(probe));
                    if (await WebApiServer.ReadPrediction(response) is not { } prediction)
                    {
                        FirstFailure ??= $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
                        Interlocked.Increment(ref failed);
                    }
                    else if (models.Any(m => Same(Expected(m)[probe], prediction)))
                    {
                        Interlocked.Increment(ref matched);
                    }
                    else
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                catch (HttpRequestException e)
                {
                    FirstFailure ??= e.ToString();
                    Interlocked.Increment(ref failed);
                }
            }
        }));
    }
}
