using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Benchmarks;

/// <summary>One seed of a comparison: the test accuracy of each configuration.</summary>
internal sealed record SeedAccuracies(int Seed, Dictionary<string, double> TestAccuracy);

/// <summary>One small public table: teacher, student alone and distilled student, per seed and on average.</summary>
internal sealed record TableRun(string Table, int Rows, int Features, int Classes, IReadOnlyList<SeedAccuracies> Seeds, Dictionary<string, double> MeanAccuracy);

/// <summary>Sparse training and knowledge distillation benchmarks.</summary>
internal static class DistillationBenchmark
{
    private const string SklearnData = "/usr/lib/python3/dist-packages/sklearn/datasets/data";

    public static object SparseTraining(MLContext ml, IDataView train, IDataView test, CompressionSettings settings)
    {
        var stepsPerEpoch = (settings.TrainRows + settings.BatchSize - 1) / settings.BatchSize;
        var interval = Math.Max(10, stepsPerEpoch * settings.MlpEpochs / 16);
        var seeds = settings.Seeds.Select(seed =>
        {
            var accuracies = new Dictionary<string, double> { ["dense"] = CompressionSuite.Accuracy(ml, PruningBenchmark.Trainer(ml, "mlp", settings.MlpEpochs, seed, settings).Fit(train), test) };
            foreach (var method in new[] { SparseTrainingMethod.Set, SparseTrainingMethod.Rigl })
            {
                var model = PruningBenchmark.Trainer(ml, "mlp", settings.MlpEpochs, seed, settings)
                    .WithSparseTraining(new SparseTrainingOptions { Method = method, Sparsity = 0.9, UpdateInterval = interval }).Fit(train);
                accuracies[method.ToString()] = CompressionSuite.Accuracy(ml, model, test);
                accuracies[method + " sparsity"] = Math.Round(NetworkReport.Of(model.Network).Sparsity, 4);
            }
            Console.WriteLine($"  seed {seed}: " + string.Join(", ", accuracies.Select(p => $"{p.Key} {p.Value:F4}")));
            return new SeedAccuracies(seed, accuracies);
        }).ToList();
        return new { Network = "MLP 784-256-128-10", Sparsity = 0.9, Distribution = "ErdosRenyi", UpdateInterval = interval, Seeds = seeds, MeanAccuracy = Means(seeds) };
    }

    public static object FashionMnist(MLContext ml, IDataView train, IDataView test, CompressionSettings settings)
    {
        var teacher = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions
        {
            Blocks = [new(32) { Pooling = PoolingKind.None }, new(32) { DropoutRate = 0.25 }, new(64) { Pooling = PoolingKind.None }, new(64) { DropoutRate = 0.25 }],
            HiddenLayerSizes = [256], DropoutRate = 0.5, BatchSize = settings.BatchSize, LearningRateSchedule = new CosineSchedule(),
            NumberOfEpochs = settings.TeacherEpochs, ValidationFraction = 0, EarlyStopping = null, Seed = 1, NumberOfThreads = settings.Threads,
        }).Fit(train);
        var teacherAccuracy = CompressionSuite.Accuracy(ml, teacher, test);
        Console.WriteLine($"  teacher (four convolutions, {settings.TeacherEpochs} epochs): {teacherAccuracy:F4}");
        var distillation = new DistillationOptions { Alpha = 0.7, Temperature = 4 };

        SeedAccuracies Compare(int seed, Func<int, DeepTrainer> student)
        {
            var alone = CompressionSuite.Accuracy(ml, student(seed).Fit(train), test);
            var distilled = CompressionSuite.Accuracy(ml, ml.MulticlassClassification.Trainers.Distill(student(seed), teacher, distillation).Fit(train), test);
            Console.WriteLine($"  seed {seed}: alone {alone:F4}, distilled {distilled:F4}");
            return new SeedAccuracies(seed, new() { ["alone"] = alone, ["distilled"] = distilled });
        }

        var mlp = settings.Seeds.Select(seed => Compare(seed, s => ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions
        {
            HiddenLayerSizes = [128], NumberOfEpochs = settings.MlpEpochs, Seed = s, BatchSize = settings.BatchSize, LearningRateSchedule = new CosineSchedule(),
            EarlyStopping = null, ValidationFraction = 0, NumberOfThreads = settings.Threads,
        }))).ToList();
        var cnn = settings.CnnSeeds.Select(seed => Compare(seed, s => ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions
        {
            Blocks = [new(8), new(16)], HiddenLayerSizes = [32], NumberOfEpochs = settings.CnnEpochs, Seed = s, BatchSize = settings.BatchSize,
            LearningRateSchedule = new CosineSchedule(), EarlyStopping = null, ValidationFraction = 0, NumberOfThreads = settings.Threads,
        }))).ToList();
        return new
        {
            Teacher = new { Network = "four convolutions (32, 32, 64, 64) + FC 256, dropout 0.5, cosine, no label smoothing", Epochs = settings.TeacherEpochs, TestAccuracy = teacherAccuracy },
            Distillation = distillation,
            MlpStudent = new { Network = "MLP 784-128-10, dropout 0.2, cosine", Seeds = mlp, MeanAccuracy = Means(mlp) },
            CnnStudent = new { Network = "Conv 8 → Conv 16 → FC 32", Seeds = cnn, MeanAccuracy = Means(cnn) },
        };
    }

    public static object Tables(MLContext ml, CompressionSettings settings)
    {
        var runs = new List<TableRun>();
        foreach (var (name, file) in new[] { ("breast cancer (Wisconsin diagnostic)", "breast_cancer.csv"), ("wine", "wine_data.csv"), ("digits (optical, 8×8)", "digits.csv.gz") })
        {
            var path = Path.Combine(SklearnData, file);
            if (!File.Exists(path))
            {
                Console.WriteLine($"  {name}: {path} is missing (apt-get install python3-sklearn)");
                continue;
            }
            var rows = ReadTable(path);
            var features = rows[0].Features.Length;
            var seeds = settings.Seeds.Select(seed =>
            {
                var split = ml.Data.TrainTestSplit(ml.Data.LoadFromEnumerable(rows, Schema(features)), testFraction: 0.3, seed: seed);
                var key = ml.Transforms.Conversion.MapValueToKey("Label").Fit(split.TrainSet);
                var (trainSet, testSet) = (key.Transform(split.TrainSet), key.Transform(split.TestSet));
                var teacher = ml.MulticlassClassification.Trainers.LightGbm().Fit(trainSet);
                FeedForwardOptions Student() => new()
                {
                    NumberOfEpochs = 60, Seed = seed, BatchSize = 32, LearningRateSchedule = new CosineSchedule(), EarlyStopping = null, ValidationFraction = 0,
                    NumberOfThreads = settings.Threads,
                };
                var accuracies = new Dictionary<string, double>
                {
                    ["LightGbm teacher"] = CompressionSuite.Accuracy(ml, teacher, testSet),
                    ["student alone"] = CompressionSuite.Accuracy(ml, ml.MulticlassClassification.Trainers.FeedForward(Student()).Fit(trainSet), testSet),
                    ["student distilled"] = CompressionSuite.Accuracy(ml, ml.MulticlassClassification.Trainers
                        .Distill(ml.MulticlassClassification.Trainers.FeedForward(Student()), teacher, new DistillationOptions { Alpha = 0.7, Temperature = 4 }).Fit(trainSet), testSet),
                };
                Console.WriteLine($"  {name}, seed {seed}: " + string.Join(", ", accuracies.Select(p => $"{p.Key} {p.Value:F4}")));
                return new SeedAccuracies(seed, accuracies);
            }).ToList();
            runs.Add(new TableRun(name, rows.Length, features, rows.Select(r => r.Label).Distinct().Count(), seeds, Means(seeds)));
        }
        return new { Source = SklearnData + " (Debian's python3-sklearn)", Split = "70/30, seeded by the seed", Student = "FeedForward defaults (256-128, dropout 0.2), 60 epochs, batch 32, cosine", Runs = runs };
    }

    private static Dictionary<string, double> Means(IReadOnlyList<SeedAccuracies> seeds) =>
        seeds[0].TestAccuracy.Keys.ToDictionary(k => k, k => CompressionSuite.Mean(seeds.Select(s => s.TestAccuracy[k])));

    /// <summary>A scikit-learn bundled CSV: an optional header line, then features and the class index last.</summary>
    private static TableRow[] ReadTable(string path)
    {
        using var stream = path.EndsWith(".gz", StringComparison.Ordinal) ? (Stream)new GZipStream(File.OpenRead(path), CompressionMode.Decompress) : File.OpenRead(path);
        using var reader = new StreamReader(stream);
        var rows = new List<TableRow>();
        while (reader.ReadLine() is { } line)
        {
            var fields = line.Split(',');
            if (!fields.All(f => double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) || fields.Length < 3)
                continue;
            var values = fields.Select(f => float.Parse(f, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
            rows.Add(new TableRow { Features = values[..^1], Label = ((int)values[^1]).ToString(CultureInfo.InvariantCulture) });
        }
        return rows.ToArray();
    }

    private static SchemaDefinition Schema(int features)
    {
        var schema = SchemaDefinition.Create(typeof(TableRow));
        schema[nameof(TableRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        return schema;
    }

    private sealed class TableRow
    {
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = "";
    }
}
