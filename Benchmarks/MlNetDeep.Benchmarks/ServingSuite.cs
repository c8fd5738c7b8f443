using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;

namespace MlNetDeep.Benchmarks;

/// <summary>The serving suite's settings, as run.</summary>
internal sealed record ServingSettings(string[] Parts, double SecondsPerRun, int[] Connections, long MemoryRequests, int MaximumBatchSize,
    double MaximumDelayMilliseconds, int MaximumConcurrentBatches, int Reloads, double SecondsBetweenReloads, string Models);

internal sealed record ServingReport(
    string CommandLine, string? LaunchedBy, DateTimeOffset Date, MachineInfo Machine, string CpuFlags, ServingSettings Settings,
    IReadOnlyList<PoolOverheadResult> PoolOverhead, IReadOnlyList<BatchScorerResult> BatchScorer, IReadOnlyList<WrkRun> Http,
    MemoryRun? Memory, ReloadRun? Reloads, double? LoadAverageAtEnd, double TotalSeconds);

/// <summary>
/// <c>--suite serving</c>: the pool's overhead over a bare PredictionEngine (MLP), the default batch scorer against per-row
/// engines, and the Web API sample under wrk at 1, 16 and 64 connections with and without dynamic batching (MLP and CNN),
/// the server's resident memory over 1M requests, and reloads under load. Models are trained briefly on the image subset in
/// the repository: speed does not depend on their accuracy.
/// </summary>
internal static class ServingSuite
{
    private const string Usage = "usage: dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite serving [--only overhead,http,memory,reloads] [--seconds 60] [--connections 1,16,64] [--memory-requests 1000000] [--batch-size 64] [--batch-delay-ms 0] [--concurrent-batches 1] [--out path.json]";

    public static int Run(string[] args)
    {
        string[] parts = ["overhead", "http", "memory", "reloads"];
        var (seconds, memoryRequests, batchSize, delay, concurrent) = (60.0, 1_000_000L, 64, 0.0, 1);
        int[] connections = [1, 16, 64];
        string? outPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            var ok = i + 1 < args.Length;
            switch (args[i])
            {
                case "--only" when ok:
                    parts = args[++i].Split(',');
                    break;
                case "--connections" when ok:
                    connections = args[++i].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--seconds" when ok && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out seconds):
                case "--memory-requests" when ok && long.TryParse(args[i + 1], CultureInfo.InvariantCulture, out memoryRequests):
                case "--batch-size" when ok && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out batchSize):
                case "--batch-delay-ms" when ok && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out delay):
                case "--concurrent-batches" when ok && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out concurrent):
                    i++;
                    break;
                case "--out" when ok:
                    outPath = args[++i];
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        if (parts.Except(["overhead", "http", "memory", "reloads"]).FirstOrDefault() is { } unknown)
        {
            Console.Error.WriteLine($"Unknown part '{unknown}'. {Usage}");
            return 2;
        }
        var clock = Stopwatch.StartNew();
        var machine = MachineInfo.Describe();
        var settings = new ServingSettings(parts, seconds, connections, memoryRequests, batchSize, delay, concurrent, 20, 1.5,
            "MLP: FeedForward 784-256-128-10 (library defaults otherwise); CNN: ConvolutionalNetwork defaults (Conv 32, Conv 64, FC 128); 2 epochs on the repository's 6,000-image subset");
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-serving-bench-").FullName;
        try
        {
            var models = ServingModels.Train(folder);
            var items = models.Items;
            var overhead = new List<PoolOverheadResult>();
            var scorer = new List<BatchScorerResult>();
            if (parts.Contains("overhead"))
            {
                Console.WriteLine("Pool overhead (MLP) ...");
                overhead.Add(ServingInProcess.PoolOverhead("MLP", models.Mlp, items));
                overhead.Add(ServingInProcess.PoolOverhead("CNN", models.Cnn, items, callsPerRound: 300));
                foreach (var (name, path) in new[] { ("MLP", models.Mlp), ("CNN", models.Cnn) })
                {
                    foreach (var size in new[] { 16, 64 })
                    {
                        Console.WriteLine($"Batch scorer, {name}, batch {size} ...");
                        scorer.Add(ServingInProcess.BatchScorer(name, path, items, size));
                    }
                }
            }
            var batching = $"--Batching:MaximumBatchSize={batchSize} --Batching:MaximumDelayMilliseconds={delay.ToString(CultureInfo.InvariantCulture)} --Batching:MaximumConcurrentBatches={concurrent}";
            var http = new List<WrkRun>();
            if (parts.Contains("http"))
            {
                foreach (var (name, path) in new[] { ("MLP", models.Mlp), ("CNN", models.Cnn) })
                {
                    foreach (var batched in new[] { false, true })
                    {
                        using var server = WebApiProcess.Start(path, batched, batching);
                        Wrk.Run(server.Address, "/predict", models.BodyFile, 16, 5);
                        foreach (var c in connections)
                        {
                            var run = Measure(server, name, batched, c, seconds, models.BodyFile);
                            http.Add(run);
                            Console.WriteLine($"  {name,-4} batching {(batched ? "on " : "off")} {c,3} connections: {run.RequestsPerSecond,9:N0} requests/s, p50 {run.P50Milliseconds:F2} ms, p99 {run.P99Milliseconds:F2} ms, errors {run.Errors}, other processes {run.OtherProcessesCores:F2} cores");
                        }
                    }
                }
            }
            var memory = parts.Contains("memory") ? MemoryOverRequests(models, memoryRequests, batching) : null;
            var reloads = parts.Contains("reloads") ? ReloadsUnderLoad(models, folder, settings) : null;
            var report = new ServingReport(Environment.CommandLine, BenchmarkReport.ParentCommandLine(), DateTimeOffset.Now, machine, CpuFlags(), settings,
                overhead, scorer, http, memory, reloads, MachineInfo.LoadAverage(), Statistics.Round(clock.Elapsed.TotalSeconds));
            var output = Path.GetFullPath(outPath ?? Path.Combine(ProjectFolders.Results, $"serving-{string.Join('-', parts)}.json"));
            ReportFile.Write(report, output);
            Print(report);
            Console.WriteLine($"Wrote {output}");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static WrkRun Measure(WebApiProcess server, string model, bool batched, int connections, double seconds, string bodyFile)
    {
        var rssBefore = server.ResidentMiB();
        var cpuBefore = server.CpuSeconds();
        var start = CpuSnapshot.Take();
        var result = Wrk.Run(server.Address, "/predict", bodyFile, connections, seconds);
        var end = CpuSnapshot.Take();
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        var serverCores = (server.CpuSeconds() - cpuBefore) / wall;
        var other = end.OtherProcessesCores(start) is { } cores ? Statistics.Round(Math.Max(0, cores - serverCores)) : default(double?);
        return new WrkRun(model, batched, connections, Math.Min(connections, 2), result.Seconds, result.Requests, result.RequestsPerSecond,
            result.P50, result.P75, result.P90, result.P99, result.Errors, result.ErrorDetail, rssBefore, server.ResidentMiB(), Statistics.Round(serverCores), other);
    }

    /// <summary>MLP, per-request, 16 connections: wrk in 10 s chunks until <paramref name="total"/> requests, the server's VmRSS after each.</summary>
    private static MemoryRun MemoryOverRequests(ServingModels models, long total, string batching)
    {
        Console.WriteLine($"Resident memory over {total:N0} requests (MLP, 16 connections) ...");
        using var server = WebApiProcess.Start(models.Mlp, false, batching);
        var (requests, resident) = (new List<long> { 0 }, new List<double> { server.ResidentMiB() });
        long errors = 0;
        while (requests[^1] < total)
        {
            var chunk = Wrk.Run(server.Address, "/predict", models.BodyFile, 16, 10);
            errors += chunk.Errors;
            requests.Add(requests[^1] + chunk.Requests);
            resident.Add(server.ResidentMiB());
            Console.WriteLine($"  {requests[^1],10:N0} requests: {resident[^1]:F1} MiB");
        }
        var after100k = resident[requests.FindIndex(r => r >= 100_000)];
        var ratio = Statistics.Round(resident[^1] / after100k);
        return new MemoryRun("MLP", false, 16, [.. requests], [.. resident], after100k, resident[^1], ratio, errors, Math.Abs(ratio - 1) <= 0.05 && errors == 0);
    }

    /// <summary>The served MLP file is replaced (written beside, renamed over) every 1.5 s, alternating two models, while wrk runs at 16 connections.</summary>
    private static ReloadRun ReloadsUnderLoad(ServingModels models, string folder, ServingSettings settings)
    {
        Console.WriteLine($"{settings.Reloads} reloads under load (MLP, 16 connections) ...");
        var served = Path.Combine(folder, "served.zip");
        File.Copy(models.Mlp, served, overwrite: true);
        using var server = WebApiProcess.Start(served, false, "");
        var wrk = Task.Run(() => Wrk.Run(server.Address, "/predict", models.BodyFile, 16, settings.Reloads * settings.SecondsBetweenReloads + 3));
        Thread.Sleep(1000);
        var untilNew = new List<double>();
        for (var reload = 1; reload <= settings.Reloads; reload++)
        {
            var before = Version(server);
            var clock = Stopwatch.StartNew();
            File.Copy(reload % 2 == 1 ? models.MlpB : models.Mlp, served + ".new", overwrite: true);
            File.Move(served + ".new", served, overwrite: true);
            while (Version(server) == before && clock.Elapsed < TimeSpan.FromSeconds(10))
                Thread.Sleep(20);
            untilNew.Add(Statistics.Round(clock.Elapsed.TotalSeconds));
            Thread.Sleep(TimeSpan.FromSeconds(Math.Max(0, settings.SecondsBetweenReloads - clock.Elapsed.TotalSeconds)));
        }
        var result = wrk.Result;
        var reported = server.Health().GetProperty("checks").GetProperty("models").GetProperty("data").GetProperty("default.reloads").GetInt32();
        Console.WriteLine($"  {result.Requests:N0} requests, {result.Errors} errors, {reported} reloads, slowest {untilNew.Max():F2} s until the new version served");
        return new ReloadRun("MLP", 16, settings.Reloads, reported, [.. untilNew], result.Requests, result.Errors, result.ErrorDetail,
            result.Errors == 0 && reported == settings.Reloads && untilNew.Max() <= 2);

        static string Version(WebApiProcess server) =>
            server.Health().GetProperty("checks").GetProperty("models").GetProperty("data").GetProperty("default.version").GetString()!;
    }

    private static string CpuFlags() =>
        File.Exists("/proc/cpuinfo")
            ? string.Join(' ', (File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "")
                .Split(' ').Where(f => f.StartsWith("avx", StringComparison.Ordinal) || f is "fma" or "sse4_2" || f.Contains("vnni", StringComparison.Ordinal)).Distinct())
            : "";

    private static void Print(ServingReport report)
    {
        Console.WriteLine($"Serving on {report.Machine.Cpu} ({report.Machine.Cores} cores; {report.CpuFlags}); load average {report.Machine.LoadAverageAtStart} → {report.LoadAverageAtEnd}");
        foreach (var o in report.PoolOverhead)
            Console.WriteLine($"  pool overhead {o.Model}: bare {o.BareEngineMedianMicroseconds:F2} µs, pool {o.PoolMedianMicroseconds:F2} µs (+{o.OverheadMicroseconds:F2}), with metrics listener {o.PoolWithMetricsListenerMedianMicroseconds:F2} µs (+{o.OverheadWithMetricsListenerMicroseconds:F2}); target ≤ {o.TargetOverheadMicroseconds} µs: {(o.TargetMet ? "met" : "MISSED")}");
        foreach (var s in report.BatchScorer)
            Console.WriteLine($"  batch {s.BatchSize} {s.Model}: engine {s.EngineRowsPerSecond:N0} rows/s, TransformBatchScorer {s.TransformBatchScorerRowsPerSecond:N0} rows/s ({s.RatioScorerToEngine:F2}x)");
        if (report.Memory is { } m)
            Console.WriteLine($"  memory: {m.ResidentMiBAfterFirst100k:F1} MiB after 100k, {m.ResidentMiBAtEnd:F1} MiB after {m.Requests[^1]:N0} ({m.Ratio:F3}x), errors {m.Errors}: {(m.TargetMet ? "met" : "MISSED")}");
        if (report.Reloads is { } r)
            Console.WriteLine($"  reloads: {r.ReloadsReported}/{r.Reloads} under {r.Requests:N0} requests, errors {r.Errors}, slowest {r.SecondsUntilNewVersion.Max():F2} s: {(r.TargetMet ? "met" : "MISSED")}");
    }
}

/// <summary>The models the suite serves, trained briefly on the repository's subset, and a request body (the first test image).</summary>
internal sealed record ServingModels(string Mlp, string MlpB, string Cnn, string BodyFile, ServingItem[] Items)
{
    public static ServingModels Train(string folder)
    {
        Console.WriteLine("Training the served models (2 epochs each on the 6,000-image subset) ...");
        var ml = new MLContext(seed: 1);
        var data = ProjectFolders.SampleData;
        var train = ml.Data.LoadIdxImages(Path.Combine(data, "train-images-idx3-ubyte.gz"), Path.Combine(data, "train-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);
        var test = ml.Data.LoadIdxImages(Path.Combine(data, "t10k-images-idx3-ubyte.gz"), Path.Combine(data, "t10k-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);
        string Fit(IEstimator<ITransformer> trainer, string name)
        {
            var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
            var path = Path.Combine(folder, name);
            using var model = pipeline.Fit(train);
            ml.Model.Save(model, train.Schema, path);
            return path;
        }
        var mlp = Fit(ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 2, EarlyStopping = null, ValidationFraction = 0, Seed = 1 }), "mlp.zip");
        var mlpB = Fit(ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 2, EarlyStopping = null, ValidationFraction = 0, Seed = 2 }), "mlp-b.zip");
        var cnn = Fit(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions { NumberOfEpochs = 2, EarlyStopping = null, ValidationFraction = 0, Seed = 1 }), "cnn.zip");
        var items = ml.Data.CreateEnumerable<ServingItem>(test, reuseRowObject: false).Take(256).ToArray();
        var body = Path.Combine(folder, "request.json");
        File.WriteAllText(body, JsonSerializer.Serialize(new { features = items[0].Features }));
        return new ServingModels(mlp, mlpB, cnn, body, items);
    }
}
