using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Registry.Sqlite;
using MlNetDeep.Registry.Training;

namespace MlNetDeep.Registry.Tests;

/// <summary>A real MlNetDeep Fit logged by the training callback and registered with its lineage.</summary>
[TestClass]
public sealed class TrainingRunTests
{
    private string folder = null!;

    [TestInitialize]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("mlnetdeep-training-").FullName;

    [TestCleanup]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    [TestMethod]
    public async Task AnMlNetDeepFitIsLoggedAsARunAndRegisteredWithItsHyperparametersHistoryAndLineage()
    {
        await using var registry = await SqliteRegistry.OpenAsync(folder);
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TestModels.Flowers(90, seed: 1));
        var options = new FeedForwardOptions { NumberOfEpochs = 3, HiddenLayerSizes = [16], Seed = 4, BatchSize = 16, EarlyStopping = null };
        var callback = new RegistryTrainingCallback(registry, "flowers-mlp") { CheckpointEveryEpochs = 2, Hyperparameters = options };
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.FeedForward(options).WithCallbacks(callback))
            .Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(train));
        var details = new ModelVersionDetails { Run = callback.Run, TrainingData = DataFingerprint.Compute(train) }
            .SetTrainerOptions(options)
            .AddTrainingResults(model);
        details.Metrics.Add(metrics, "train", MetricSet.ClassNamesOf(model.GetOutputSchema(train.Schema)));

        var parent = await registry.RegisterAsync("flowers-mlp", model, train.Schema, details);
        var child = await registry.RegisterAsync("flowers-mlp", model, train.Schema,
            new ModelVersionDetails { Lineage = new Lineage(parent, LineageKind.FineTuned), Description = "fine-tuned" });
        var version = await registry.GetVersionAsync("flowers-mlp", VersionSelector.Version(parent.Version));
        var run = await registry.GetRunAsync(callback.Run!.Id);
        var history = model.LastTransformer.History;

        Assert.AreEqual("FeedForwardOptions", version.Hyperparameters!["$type"]!.GetValue<string>());
        Assert.AreEqual("[16]", version.Hyperparameters["HiddenLayerSizes"]!.ToJsonString());
        Assert.AreEqual("Auto", version.Hyperparameters["Device"]!.GetValue<string>());
        Assert.AreEqual(options.ToJson(), DeepTrainerOptions.FromJson<FeedForwardOptions>(version.Hyperparameters.ToJsonString()).ToJson());
        CollectionAssert.AreEqual(history.Select(h => h.TrainLoss).ToArray(), version.History.Select(h => h["TrainLoss"]!.GetValue<double>()).ToArray());
        Assert.AreEqual("DeepPredictionTransformer", version.Pipeline!.Steps[^1].Type);
        Assert.AreEqual(4, version.Environment!.Seed);
        Assert.IsGreaterThan(0, version.Reports["network"]!["parameter_count"]!.GetValue<long>());
        CollectionAssert.AreEqual(new[] { "checkpoint-epoch-0002.weights", "checkpoint-epoch-0003.weights" }, run.Artifacts.Select(a => a.Name).ToArray());
        Assert.AreEqual(RunStatus.Finished, run.Status);
        Assert.AreEqual(version.Hyperparameters.ToJsonString(), run.Hyperparameters!.ToJsonString());
        Assert.AreEqual(new Lineage(parent, LineageKind.FineTuned), (await registry.GetVersionAsync("flowers-mlp", VersionSelector.Version(child.Version))).Lineage);
    }

    [TestMethod]
    public async Task AFitResumedFromACheckpointGoesOnLoggingIntoTheSameRun()
    {
        await using var registry = await SqliteRegistry.OpenAsync(folder);
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TestModels.Flowers(60, seed: 1));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train);
        FeedForwardOptions Options(int epochs) => new()
        {
            NumberOfEpochs = epochs, HiddenLayerSizes = [8], Seed = 4, EarlyStopping = null,
            CheckpointFolder = Path.Combine(folder, "checkpoints"), ResumeFromCheckpoint = true,
        };
        var first = new RegistryTrainingCallback(registry, "flowers-mlp") { CheckpointEveryEpochs = 0 };
        var second = new RegistryTrainingCallback(registry, "flowers-mlp") { CheckpointEveryEpochs = 0 };

        using (ml.MulticlassClassification.Trainers.FeedForward(Options(2)).WithCallbacks(first).Fit(keyed)) { }
        using (ml.MulticlassClassification.Trainers.FeedForward(Options(3)).WithCallbacks(second).Fit(keyed)) { }
        var run = await registry.GetRunAsync(first.Run!.Id);

        Assert.AreEqual(first.Run.Id, second.Run!.Id);
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, run.Epochs.Select(e => e["Epoch"]!.GetValue<int>()).ToArray());
        Assert.AreEqual(RunStatus.Finished, run.Status);
    }
}
