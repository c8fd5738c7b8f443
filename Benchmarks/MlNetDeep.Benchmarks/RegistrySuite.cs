using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics.X86;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;
using MlNetDeep.Registry;
using MlNetDeep.Registry.PostgreSql;
using MlNetDeep.Registry.Sqlite;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Registering: the median and 95th percentile of one registration, in milliseconds, and the median CPU time of this
/// process per registration (the machine is shared: CPU time shows the work, wall time adds the waiting for a core).
/// </summary>
internal sealed record RegisterFigures(int Repeats, long ModelBytes, int Metrics, int HistoryEpochs, double MedianMs, double P95Ms, double CpuMedianMs,
    double FromTransformerMedianMs, double MlNetSaveMedianMs);

/// <summary>Loading by alias side by side with ML.NET loading the same model.zip from a file.</summary>
internal sealed record LoadFigures(int Repeats, double RegistryLoadMedianMs, double MlNetLoadMedianMs, double OverheadMs, double ResolveMedianMs, double ReadAndVerifyMedianMs);

/// <summary>One operation's median wall time and median CPU time of this process (PostgreSQL's own work is in its server processes).</summary>
internal sealed record OperationFigures(double MedianMs, double CpuMedianMs);

/// <summary>Listing and searching once the registry holds many versions.</summary>
internal sealed record SearchFigures(int Versions, double PopulateSeconds, int Repeats, OperationFigures ListAllVersions, OperationFigures ListFirst50,
    OperationFigures BestByMetricWithTag, OperationFigures TagSearchSorted, int TagSearchResults, OperationFigures ListModels);

internal sealed record BackendFigures(string Backend, RegisterFigures Register, LoadFigures Load, SearchFigures Search, KillTrialFigures? KillTrials);

internal sealed record RegistryReport(string CommandLine, string? LaunchedBy, DateTimeOffset Date, MachineInfo Machine, string Simd,
    IReadOnlyList<BackendFigures> Backends, double? LoadAverageAtEnd, double? OtherProcessesCores, double TotalSeconds);

/// <summary>
/// <c>--suite registry</c>: the model registry's targets on SQLite, and on PostgreSQL when <c>MLNETDEEP_TEST_POSTGRES</c>
/// holds a connection string (run under <c>.ci/with-postgres</c>): registering a version (metadata and a 5 MiB MlNetDeep model),
/// loading by alias against ML.NET's own load time, listing and searching 10,000 versions, and 100 registering processes
/// killed with SIGKILL at random moments.
/// </summary>
internal static class RegistrySuite
{
    private const string Usage = "usage: .ci/with-postgres dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite registry [--repeats 30] [--versions 10000] [--kill-trials 100] [--model-mib 5] [--out path.json]";
    private const string PostgresVariable = "MLNETDEEP_TEST_POSTGRES";

    public static int Run(string[] args)
    {
        var (repeats, versions, killTrials, modelMib) = (30, 10_000, 100, 5.0);
        var outPath = Path.Combine(ProjectFolders.Results, "registry.json");
        for (var i = 0; i < args.Length; i++)
        {
            var ok = i + 1 < args.Length;
            switch (args[i])
            {
                case "--repeats" when ok && int.TryParse(args[i + 1], out repeats):
                case "--versions" when ok && int.TryParse(args[i + 1], out versions):
                case "--kill-trials" when ok && int.TryParse(args[i + 1], out killTrials):
                case "--model-mib" when ok && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out modelMib):
                    i++;
                    break;
                case "--out" when ok:
                    outPath = Path.GetFullPath(args[++i]);
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        return RunAsync(repeats, versions, killTrials, modelMib, outPath).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int repeats, int versions, int killTrials, double modelMib, string outPath)
    {
        var clock = Stopwatch.StartNew();
        var start = CpuSnapshot.Take();
        var machine = MachineInfo.Describe();
        var work = Directory.CreateTempSubdirectory("mlnetdeep-registry-benchmark-").FullName;
        try
        {
            Console.WriteLine($"Training a {modelMib} MiB MlNetDeep model…");
            var largeModel = LargeModel(Path.Combine(work, "large-model.zip"), modelMib);
            var smallModel = SmallModel(Path.Combine(work, "small-model.zip"));
            var details = Metadata();
            var backends = new List<BackendFigures>();
            var postgres = Environment.GetEnvironmentVariable(PostgresVariable);
            foreach (var backend in postgres is { Length: > 0 } ? new[] { "sqlite", "postgresql" } : ["sqlite"])
            {
                Console.WriteLine($"=== {backend} ===");
                await using var timing = await BenchmarkRegistry.CreateAsync(backend, postgres, Path.Combine(work, backend));
                await using var registry = await timing.OpenAsync();
                var register = await MeasureRegisterAsync(registry, largeModel, details, repeats);
                Console.WriteLine($"register: median {register.MedianMs:F1} ms (p95 {register.P95Ms:F1}) for {register.ModelBytes / 1048576.0:F2} MiB + metadata");
                var load = await MeasureLoadAsync(registry, largeModel, repeats);
                Console.WriteLine($"load by alias: {load.RegistryLoadMedianMs:F1} ms vs ML.NET alone {load.MlNetLoadMedianMs:F1} ms: overhead {load.OverheadMs:F1} ms");
                var search = await MeasureSearchAsync(registry, smallModel, versions, repeats);
                Console.WriteLine($"{versions} versions: list all {search.ListAllVersions.MedianMs:F1} ms, first 50 {search.ListFirst50.MedianMs:F1} ms, best by metric {search.BestByMetricWithTag.MedianMs:F1} ms, tag search {search.TagSearchSorted.MedianMs:F1} ms");
                KillTrialFigures? kills = null;
                if (killTrials > 0)
                {
                    // A registry of their own, so that every stored file belongs to the killed processes' versions.
                    await using var killed = await BenchmarkRegistry.CreateAsync(backend, postgres, Path.Combine(work, backend + "-kill"));
                    kills = await RegistryKillTrials.RunAsync(killed.OpenAsync, killed.WorkerArguments, killed.ArtifactFolder, largeModel, killTrials);
                    Console.WriteLine($"kill trials: {kills.Trials}, half-written versions {kills.HalfWrittenVersions}, committed but missing {kills.CommittedButMissing}, left after gc {kills.OrphansAfterGc + kills.UploadsAfterGc}");
                }
                backends.Add(new BackendFigures(backend, register, load, search, kills));
            }
            var report = new RegistryReport(Environment.CommandLine, BenchmarkReport.ParentCommandLine(), DateTimeOffset.UtcNow, machine,
                Avx512F.IsSupported ? "AVX2, AVX-512F" : Avx2.IsSupported ? "AVX2" : "none", backends, MachineInfo.LoadAverage(),
                CpuSnapshot.Take().OtherProcessesCores(start), Statistics.Round(clock.Elapsed.TotalSeconds));
            ReportFile.Write(report, outPath);
            Console.WriteLine($"Wrote {outPath}");
            return 0;
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<RegisterFigures> MeasureRegisterAsync(ModelRegistry registry, string modelPath, ModelVersionDetails details, int repeats)
    {
        var times = new List<double>();
        var cpu = new List<double>();
        for (var i = 0; i < repeats + 3; i++)
        {
            var (wall, own) = await TimeAsync(() => registry.RegisterFileAsync("register", modelPath, details));
            if (i >= 3)
            {
                times.Add(wall);
                cpu.Add(own);
            }
        }

        // Registering a fitted ITransformer also saves it (ML.NET's Save); measured beside a bare Save of the same model.
        var ml = new MLContext();
        var model = ml.Model.Load(modelPath, out var schema);
        var fromTransformer = new List<double>();
        var save = new List<double>();
        for (var i = 0; i < Math.Max(5, repeats / 3) + 1; i++)
        {
            var watch = Stopwatch.StartNew();
            await registry.RegisterAsync("register-transformer", model, schema, details);
            var registered = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            using (var sink = new MemoryStream())
                ml.Model.Save(model, schema, sink);
            if (i > 0)
            {
                fromTransformer.Add(registered);
                save.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        return new RegisterFigures(repeats, new FileInfo(modelPath).Length, details.Metrics.Count, details.History.Count,
            Statistics.Round(Statistics.Median(times)), Statistics.Round(Statistics.Percentile(times, 95)), Statistics.Round(Statistics.Median(cpu)),
            Statistics.Round(Statistics.Median(fromTransformer)), Statistics.Round(Statistics.Median(save)));
    }

    private static async Task<LoadFigures> MeasureLoadAsync(ModelRegistry registry, string modelPath, int repeats)
    {
        var version = await registry.RegisterFileAsync("load", modelPath);
        await registry.SetAliasAsync("load", "production", version.Version, "benchmark");
        var ml = new MLContext();
        var (viaRegistry, viaFile, resolve, read) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        const int Warmup = 3;
        for (var i = 0; i < repeats + Warmup; i++)
        {
            // Alternating the two loads measures them side by side under the same machine load.
            var watch = Stopwatch.StartNew();
            using (await registry.LoadAsync(ml, "load", VersionSelector.ForAlias("production")))
                viaRegistry.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            using (ml.Model.Load(modelPath, out _) as IDisposable)
                viaFile.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            var resolved = await registry.ResolveAsync("load", VersionSelector.ForAlias("production"));
            resolve.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await using (await registry.OpenArtifactAsync(resolved.ModelArtifact))
                read.Add(watch.Elapsed.TotalMilliseconds);
        }
        static double Median(List<double> values) => Statistics.Round(Statistics.Median(values.Skip(Warmup)));
        return new LoadFigures(repeats, Median(viaRegistry), Median(viaFile), Statistics.Round(Median(viaRegistry) - Median(viaFile)), Median(resolve), Median(read));
    }

    private static async Task<SearchFigures> MeasureSearchAsync(ModelRegistry registry, string smallModel, int versions, int repeats)
    {
        var populate = Stopwatch.StartNew();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var random = new Random(Environment.CurrentManagedThreadId);
            while (Interlocked.Increment(ref next) is var n && n <= versions)
            {
                var details = new ModelVersionDetails { Description = $"candidate {n}" };
                details.Metrics.Add("accuracy", 0.8 + random.NextDouble() * 0.15).Add("log_loss", random.NextDouble()).Add("epochs", random.Next(5, 50));
                details.Tags["fold"] = (n % 10).ToString(CultureInfo.InvariantCulture);
                details.Tags["architecture"] = (n % 3) switch { 0 => "mlp", 1 => "cnn", _ => "lstm" };
                await registry.RegisterFileAsync("search", smallModel, details);
            }
        })));
        var populateSeconds = populate.Elapsed.TotalSeconds;
        await registry.SetAliasAsync("search", "production", versions / 2, "benchmark");

        var bestQuery = new Dictionary<string, string?> { ["architecture"] = "cnn" };
        var tagQuery = new VersionQuery { ModelName = "search", OrderByMetric = "accuracy" };
        tagQuery.Tags["fold"] = "7";
        var results = 0;
        (string Name, Func<Task> Action)[] operations =
        [
            ("all", async () => await registry.SearchAsync(new VersionQuery { ModelName = "search" })),
            ("first50", async () => await registry.SearchAsync(new VersionQuery { ModelName = "search", Limit = 50 })),
            ("best", async () => await registry.FindBestAsync("search", "accuracy", tags: bestQuery)),
            ("tag", async () => results = (await registry.SearchAsync(tagQuery)).Count),
            ("models", async () => await registry.ListModelsAsync()),
        ];
        var times = operations.ToDictionary(o => o.Name, _ => new List<(double Wall, double Cpu)>());
        for (var i = 0; i < repeats + 2; i++)
        {
            foreach (var (name, action) in operations)
            {
                var sample = await TimeAsync(action);
                if (i >= 2)
                    times[name].Add(sample);
            }
        }
        OperationFigures Median(string name) => new(Statistics.Round(Statistics.Median(times[name].Select(t => t.Wall))), Statistics.Round(Statistics.Median(times[name].Select(t => t.Cpu))));
        return new SearchFigures(versions, Statistics.Round(populateSeconds), repeats, Median("all"), Median("first50"), Median("best"), Median("tag"), results, Median("models"));
    }

    /// <summary>Wall time and this process's CPU time of one call, in milliseconds.</summary>
    private static async Task<(double Wall, double Cpu)> TimeAsync(Func<Task> action)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await action();
        var wall = watch.Elapsed.TotalMilliseconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalMilliseconds);
    }

    /// <summary>What a registration typically carries: options as JSON, two data fingerprints, per-class metrics, 30 epochs of history, a report, tags.</summary>
    private static ModelVersionDetails Metadata()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 2000).Select(i => new Row { Label = $"class{i % 10}", Features = Enumerable.Range(0, 32).Select(_ => (float)random.NextDouble()).ToArray() }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var details = new ModelVersionDetails
        {
            Description = "benchmark registration",
            TrainingData = DataFingerprint.Compute(data, source: "train.csv"),
            EvaluationData = DataFingerprint.Compute(ml.Data.TakeRows(data, 500), source: "test.csv"),
        }.SetHyperparameters(new
        {
            LearningRate = 1e-3, BatchSize = 128, NumberOfEpochs = 30, Optimizer = "Adam", Beta1 = 0.9, Beta2 = 0.999, WeightDecay = 0.0,
            HiddenLayerSizes = new[] { 256, 128 }, DropoutRate = 0.2, LabelSmoothing = 0.1, ValidationFraction = 0.1, Seed = 1,
            EarlyStopping = new { Monitor = "ValidationMetric", Patience = 5, MinDelta = 0.0, RestoreBestWeights = true },
            LearningRateSchedule = new { Type = "CosineSchedule", WarmupEpochs = 1, MinimumLearningRate = 0.0 },
        });
        for (var c = 0; c < 10; c++)
        {
            details.Metrics.Add($"per_class_precision[class{c}]", random.NextDouble()).Add($"per_class_recall[class{c}]", random.NextDouble())
                .Add($"per_class_log_loss[class{c}]", random.NextDouble());
        }
        details.Metrics.Add("micro_accuracy", 0.91).Add("macro_accuracy", 0.90).Add("log_loss", 0.27).Add("log_loss_reduction", 0.88);
        details.AddHistory(Enumerable.Range(1, 30).Select(e => new { Epoch = e, TrainLoss = 1.0 / e, ValidationLoss = 1.1 / e, ValidationMetric = 0.9, LearningRate = 1e-3, Seconds = 12.5 }));
        details.AddReport("confusion_matrix", new { Counts = Enumerable.Range(0, 10).Select(_ => Enumerable.Range(0, 10).Select(_ => random.Next(100)).ToArray()).ToArray() });
        details.Tags["dataset"] = "fashion-mnist";
        details.Tags["architecture"] = "cnn";
        return details;
    }

    /// <summary>
    /// An MlNetDeep model of about <paramref name="mib"/> MiB, as a user registers one: a feed-forward network (784 inputs,
    /// hidden layers sized to the target, 10 classes) fitted for one epoch on random rows, saved as model.zip (ONNX inside).
    /// </summary>
    private static string LargeModel(string path, double mib)
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(7);
        var rows = Enumerable.Range(0, 256).Select(i => new ImageRow { Label = $"class{i % 10}", Features = Enumerable.Range(0, 784).Select(_ => (float)random.NextDouble()).ToArray() }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        // Weights are 4 bytes each and deflate by about 7%: 784·h + 256·h values for the two hidden layers dominate.
        var hidden = (int)(mib * 1048576 / 4 / 0.93 / (784 + 1 + 256));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions
            {
                HiddenLayerSizes = [hidden, 256], NumberOfEpochs = 1, ValidationFraction = 0, EarlyStopping = null, Seed = 1,
            }))
            .Fit(data);
        ml.Model.Save(model, data.Schema, path);
        (model as IDisposable)?.Dispose();
        return path;
    }

    private static string SmallModel(string path)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 100).Select(i => new TermRow { Term = $"t{i % 7}" }));
        ml.Model.Save(ml.Transforms.Conversion.MapValueToKey("Key", "Term").Fit(data), data.Schema, path);
        return path;
    }

    private sealed class TermRow
    {
        public string Term { get; set; } = "";
    }

    /// <summary>An empty registry for one part of the suite: a folder for SQLite, a schema of its own (dropped afterwards) for PostgreSQL.</summary>
    private sealed class BenchmarkRegistry : IAsyncDisposable
    {
        private readonly string? serverConnection;
        private readonly string? schema;
        private readonly string folder;

        private BenchmarkRegistry(string folder, string? serverConnection, string? schema)
        {
            this.folder = folder;
            this.serverConnection = serverConnection;
            this.schema = schema;
        }

        public string ArtifactFolder => Path.Combine(folder, SqliteRegistry.ArtifactFolderName);

        private string? Connection => schema is null ? null : new Npgsql.NpgsqlConnectionStringBuilder(serverConnection) { SearchPath = schema }.ToString();

        public string[] WorkerArguments => Connection is { } connection ? ["--postgres", connection, "--artifacts", ArtifactFolder] : ["--sqlite", folder];

        public static async Task<BenchmarkRegistry> CreateAsync(string backend, string? serverConnection, string folder)
        {
            Directory.CreateDirectory(folder);
            if (backend != "postgresql")
                return new BenchmarkRegistry(folder, null, null);
            var schema = $"registry_benchmark_{Guid.NewGuid():N}";
            await ExecuteAsync(serverConnection!, $"CREATE SCHEMA {schema}");
            return new BenchmarkRegistry(folder, serverConnection, schema);
        }

        public Task<ModelRegistry> OpenAsync() =>
            Connection is { } connection ? PostgreSqlRegistry.OpenAsync(connection, ArtifactFolder) : SqliteRegistry.OpenAsync(folder);

        public async ValueTask DisposeAsync()
        {
            if (schema is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await ExecuteAsync(serverConnection!, $"DROP SCHEMA {schema} CASCADE");
            }
        }

        private static async Task ExecuteAsync(string connectionString, string sql)
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private sealed class ImageRow
    {
        public string Label { get; set; } = "";

        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    private sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(32)]
        public float[] Features { get; set; } = [];
    }
}
