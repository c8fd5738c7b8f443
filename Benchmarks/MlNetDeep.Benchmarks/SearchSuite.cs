using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using MlNetDeep.Search;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Random search vs ASHA vs TPE+ASHA under the same epoch budget: the MLP space on Fashion-MNIST rows (a subset in quick
/// mode), best trial's validation and test accuracy per strategy and seed.
/// </summary>
internal static class SearchSuite
{
    public static int Run(string[] args)
    {
        int Arg(string flag, int fallback) => args.SkipWhile(a => a != flag).Skip(1).Select(int.Parse).DefaultIfEmpty(fallback).First();
        var trainRows = Arg("--train-rows", 6000);
        var budget = Arg("--epochs", 30);
        var perTrial = Arg("--epochs-per-trial", 6);
        var seeds = Arg("--seeds", 1);
        var output = Path.Combine(ProjectFolders.Results, $"search-mlp-{trainRows}-rows-{budget}-epochs.json");
        var ml = new MLContext(seed: 1);
        var data = FashionMnist.Load(ml);
        var train = data.KeyedTrainHead(trainRows);
        var keyedTest = data.LabelToKey.Transform(data.Test);
        var validation = ml.Data.TakeRows(keyedTest, 2000);
        var test = ml.Data.SkipRows(keyedTest, 2000);
        var cpu = CpuSnapshot.Take();
        var runs = new List<object>();
        (string Name, Func<SearchSampler> Sampler, Func<TrialScheduler> Scheduler)[] strategies =
        [
            ("random", () => new RandomSampler(), () => new NoStopping()),
            ("random+asha", () => new RandomSampler(), () => new AshaScheduler { MinEpochs = 1, ReductionFactor = 3 }),
            ("tpe+asha", () => new TpeSampler { StartupTrials = 5 }, () => new AshaScheduler { MinEpochs = 1, ReductionFactor = 3 }),
        ];
        for (var seed = 0; seed < seeds; seed++)
        {
            foreach (var (name, sampler, scheduler) in strategies)
            {
                var template = new FeedForwardOptions { NumberOfEpochs = perTrial, BatchSize = 128, NumberOfThreads = 2, LearningRateSchedule = null, EarlyStopping = null };
                var clock = Stopwatch.StartNew();
                var result = ml.MulticlassClassification.Search(new FeedForwardSpace(template),
                    new DeepSearchOptions { MaxTrials = null, MaxEpochs = budget, Sampler = sampler(), Scheduler = scheduler(), Seed = seed }).Run(train, validation);
                var testAccuracy = ml.MulticlassClassification.Evaluate(result.BestModel!.Transform(test)).MicroAccuracy;
                Console.WriteLine($"{name} seed {seed}: {result.Trials.Count} trials, best validation {result.BestTrial!.Score:F4}, test {testAccuracy:F4}, {clock.Elapsed.TotalSeconds:F0} s; best {result.BestTrial}");
                runs.Add(new
                {
                    strategy = name, seed, trials = result.Trials.Count, stopped = result.Trials.Count(t => t.State == TrialState.Stopped),
                    bestValidationAccuracy = result.BestTrial.Score, testAccuracy, seconds = clock.Elapsed.TotalSeconds,
                    bestParameters = result.BestTrial.Parameters.ToDictionary(p => p.Key, p => p.Value.ToString()),
                });
            }
        }
        var report = new
        {
            command = $"dotnet run -c Release --project Benchmarks/MlNetDeep.Benchmarks -- --suite search {string.Join(' ', args)}",
            date = DateTime.UtcNow, trainRows, validationRows = 2000, epochBudget = budget, epochsPerTrial = perTrial,
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)),
            loadAverage = File.ReadAllText("/proc/loadavg").Trim(), otherProcessesCores = CpuSnapshot.Take().OtherProcessesCores(cpu), runs,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllText(output, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {output}");
        return 0;
    }
}
