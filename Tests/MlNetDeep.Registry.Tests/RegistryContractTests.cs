using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry.Tests;

/// <summary>What every storage back-end must do; run once per back-end by the derived classes.</summary>
public abstract class RegistryContractTests
{
    private RegistryBackend backend = null!;

    protected ModelRegistry Registry { get; private set; } = null!;

    protected RegistryBackend Backend => backend;

    protected abstract RegistryBackend CreateBackend();

    [TestInitialize]
    public async Task OpenRegistryAsync()
    {
        backend = CreateBackend();
        Registry = await backend.OpenAsync();
        Registry.Actor = "alice";
    }

    [TestCleanup]
    public async Task RemoveRegistryAsync()
    {
        await Registry.DisposeAsync();
        await backend.DisposeAsync();
    }

    [TestMethod]
    public async Task RegisteringAModelTwiceGivesVersionsOneAndTwo()
    {
        var (model, train, _) = TestModels.Fit();

        var first = await Registry.RegisterAsync("flowers", model, train.Schema);
        var second = await Registry.RegisterAsync("flowers", model, train.Schema);

        Assert.AreEqual(new VersionReference("flowers", 1), first);
        Assert.AreEqual(new VersionReference("flowers", 2), second);
    }

    [TestMethod]
    public async Task AVersionKeepsItsHyperparametersDataMetricsHistoryReportsTagsAndLineage()
    {
        var (model, train, metrics) = TestModels.Fit();
        var parent = await Registry.RegisterAsync("teacher", model, train.Schema);
        var details = new ModelVersionDetails
        {
            Description = "SDCA on flowers",
            TrainingData = DataFingerprint.Compute(train, source: "flowers.csv"),
            Lineage = new Lineage(parent, LineageKind.Distilled, Teacher: parent),
        }.SetHyperparameters(new { LearningRate = 0.01, Layers = new[] { 64, 32 }, Optimizer = "Adam" });
        details.Metrics.Add(metrics, "test", MetricSet.ClassNamesOf(model.GetOutputSchema(train.Schema)));
        details.AddHistory([new { Epoch = 1, TrainLoss = 0.9 }, new { Epoch = 2, TrainLoss = 0.5 }]);
        details.AddReport("confusion_matrix", metrics.ConfusionMatrix);
        details.Tags["dataset"] = "flowers-v1";
        details.Tags["quantized"] = "";

        var reference = await Registry.RegisterAsync("student", model, train.Schema, details);
        var version = await Registry.GetVersionAsync("student", VersionSelector.Version(reference.Version));

        Assert.AreEqual("SDCA on flowers", version.Description);
        Assert.AreEqual("alice", version.RegisteredBy);
        Assert.AreEqual(0.01, version.Hyperparameters!["LearningRate"]!.GetValue<double>());
        Assert.AreEqual("[64,32]", version.Hyperparameters!["Layers"]!.ToJsonString());
        Assert.AreEqual(details.TrainingData!.ContentSha256, version.TrainingData!.ContentSha256);
        Assert.AreEqual(("flowers.csv", 60L), (version.TrainingData.Source, version.TrainingData.RowCount));
        Assert.AreEqual(metrics.MicroAccuracy, version.Metrics["test.micro_accuracy"], 1e-12);
        Assert.AreEqual(metrics.PerClassLogLoss[2], version.Metrics["test.per_class_log_loss[virginica]"], 1e-12);
        Assert.HasCount(2, version.History);
        Assert.AreEqual(0.5, version.History[1]["TrainLoss"]!.GetValue<double>());
        Assert.AreEqual(3, version.Reports["confusion_matrix"]!["NumberOfClasses"]!.GetValue<int>());
        Assert.AreEqual("flowers-v1", version.Tags["dataset"]);
        Assert.AreEqual("", version.Tags["quantized"]);
        Assert.AreEqual(new Lineage(parent, LineageKind.Distilled, parent), version.Lineage);
        Assert.IsNotNull(version.Environment);
        Assert.Contains("Microsoft.ML.Data", version.Environment.Packages.Keys);
    }

    [TestMethod]
    public async Task AVersionWithThousandsOfMetricsAndTagsKeepsThemAll()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        var details = new ModelVersionDetails();
        for (var i = 0; i < 1500; i++)
            details.Metrics.Add($"per_class_recall[{i}]", i / 1500.0);
        for (var i = 0; i < 300; i++)
            details.Tags[$"tag{i}"] = $"value{i}";

        await Registry.RegisterFileAsync("many", modelPath, details);
        var version = await Registry.GetVersionAsync("many", VersionSelector.Latest);

        Assert.AreEqual((1500, 300), (version.Metrics.Count, version.Tags.Count));
        Assert.AreEqual(1499 / 1500.0, version.Metrics["per_class_recall[1499]"]);
    }

    [TestMethod]
    public async Task RegisteringAFittedPipelineRecordsItsSteps()
    {
        var (model, train, _) = TestModels.Fit();

        var reference = await Registry.RegisterAsync("flowers", model, train.Schema);
        var steps = (await Registry.GetVersionAsync("flowers", VersionSelector.Version(reference.Version))).Pipeline!.Steps;

        CollectionAssert.AreEqual(
            new[] { "ValueToKeyMappingTransformer", "NormalizingTransformer", "MulticlassPredictionTransformer<MaximumEntropyModelParameters>", "KeyToValueMappingTransformer" },
            steps.Select(s => s.Type).ToArray());
        Assert.Contains("Features: Vector<Single, 4>", steps[1].OutputColumns);
        Assert.Contains("PredictedLabel: String", steps[3].OutputColumns);
        Assert.AreEqual("Features", steps[2].Settings["FeatureColumnName"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task ALoadedVersionPredictsWhatTheRegisteredModelPredicts()
    {
        var (model, train, _) = TestModels.Fit();
        await Registry.RegisterAsync("flowers", model, train.Schema);
        var ml = new MLContext();
        var rows = ml.Data.LoadFromEnumerable(TestModels.Flowers(30, seed: 7));

        using var loaded = await Registry.LoadAsync(ml, "flowers", VersionSelector.Version(1));

        CollectionAssert.AreEqual(
            model.Transform(rows).GetColumn<float[]>("Score").SelectMany(s => s).ToArray(),
            loaded.Model.Transform(rows).GetColumn<float[]>("Score").SelectMany(s => s).ToArray());
        Assert.AreEqual(1, loaded.Version.Version);
    }

    [TestMethod]
    public async Task LoadingByAliasFollowsTheAliasWhenItMoves()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.RegisterFileAsync("flowers", modelPath);
        var ml = new MLContext();

        await Registry.SetAliasAsync("flowers", "production", 1, "first release");
        using (var before = await Registry.LoadAsync(ml, "flowers", VersionSelector.ForAlias("production")))
            Assert.AreEqual(1, before.Version.Version);
        await Registry.SetAliasAsync("flowers", "production", 2, "better accuracy");
        using var after = await Registry.LoadAsync(ml, "flowers", VersionSelector.ForAlias("production"));

        Assert.AreEqual(2, after.Version.Version);
    }

    [TestMethod]
    public async Task AliasMovesAreAuditedWithWhoWhenFromWhichVersionAndWhy()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.RegisterFileAsync("flowers", modelPath);

        await Registry.SetAliasAsync("flowers", "production", 1, "first release");
        Registry.Actor = "bob";
        await Registry.SetAliasAsync("flowers", "production", 2, "better accuracy");
        await Registry.RemoveAliasAsync("flowers", "production", "rollback drill");
        var history = await Registry.GetAliasHistoryAsync("flowers", "production");

        Assert.HasCount(3, history);
        Assert.AreEqual((null, 1, "alice", "first release"), (history[0].FromVersion, history[0].ToVersion, history[0].Actor, history[0].Reason));
        Assert.AreEqual((1, 2, "bob", "better accuracy"), (history[1].FromVersion, history[1].ToVersion, history[1].Actor, history[1].Reason));
        Assert.AreEqual((2, (int?)null, "bob"), (history[2].FromVersion, history[2].ToVersion, history[2].Actor));
        Assert.IsLessThanOrEqualTo(history[2].At, history[1].At);
    }

    [TestMethod]
    public async Task ATamperedModelFileIsRefusedAtLoadWithItsHashes()
    {
        var (model, train, _) = TestModels.Fit();
        await Registry.RegisterAsync("flowers", model, train.Schema);
        var artifact = (await Registry.ResolveAsync("flowers", VersionSelector.Latest)).ModelArtifact;
        var path = ((FileArtifactStore)Registry.Artifacts).PathOf(artifact.Sha256);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        var error = await Assert.ThrowsExactlyAsync<ArtifactIntegrityException>(() => Registry.LoadAsync(new MLContext(), "flowers", VersionSelector.Latest));

        StringAssert.Contains(error.Message, "model.zip of flowers@1 was changed or damaged after registration");
        StringAssert.Contains(error.Message, artifact.Sha256);
    }

    [TestMethod]
    public async Task AMissingModelFileIsRefusedAtLoad()
    {
        var (model, train, _) = TestModels.Fit();
        await Registry.RegisterAsync("flowers", model, train.Schema);
        var artifact = (await Registry.ResolveAsync("flowers", VersionSelector.Latest)).ModelArtifact;
        File.Delete(((FileArtifactStore)Registry.Artifacts).PathOf(artifact.Sha256));

        var error = await Assert.ThrowsExactlyAsync<ArtifactIntegrityException>(() => Registry.LoadAsync(new MLContext(), "flowers", VersionSelector.Latest));

        StringAssert.Contains(error.Message, "is missing from the artifact store");
    }

    [TestMethod]
    public async Task TheBestVersionByAMetricIsFoundAmongVersionsWithATag()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        foreach (var (accuracy, tag) in new[] { (0.80, "cnn"), (0.95, "mlp"), (0.90, "cnn"), (0.85, "cnn") })
        {
            var details = new ModelVersionDetails();
            details.Metrics.Add("accuracy", accuracy);
            details.Tags["architecture"] = tag;
            await Registry.RegisterFileAsync("fashion", modelPath, details);
        }

        var best = await Registry.FindBestAsync("fashion", "accuracy", tags: new Dictionary<string, string?> { ["architecture"] = "cnn" });
        var worst = await Registry.FindBestAsync("fashion", "accuracy", highestIsBest: false);

        Assert.AreEqual((3, 0.90), (best!.Version, best.Metrics["accuracy"]));
        Assert.AreEqual(1, worst!.Version);
    }

    [TestMethod]
    public async Task SearchLeavesArchivedAndDeletedVersionsOutUnlessAskedFor()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        for (var i = 0; i < 3; i++)
            await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.ArchiveAsync("flowers", 1);
        await Registry.DeleteAsync("flowers", 2);

        var active = await Registry.SearchAsync(new VersionQuery { ModelName = "flowers" });
        var all = await Registry.SearchAsync(new VersionQuery { ModelName = "flowers", IncludeArchived = true, IncludeDeleted = true });

        CollectionAssert.AreEqual(new[] { 3 }, active.Select(v => v.Version).ToArray());
        CollectionAssert.AreEqual(new[] { (3, VersionStatus.Active), (2, VersionStatus.Deleted), (1, VersionStatus.Archived) }, all.Select(v => (v.Version, v.Status)).ToArray());
    }

    [TestMethod]
    public async Task ListingAllVersionsGivesEachItsOwnTagsAndAliasesByModelNewestFirst()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        foreach (var (model, tags) in new[] { ("trees", "a=9"), ("flowers", "b=2,a=1"), ("flowers", ""), ("flowers", "c=3") })
        {
            var details = new ModelVersionDetails();
            foreach (var tag in tags.Split(',', StringSplitOptions.RemoveEmptyEntries))
                details.Tags[tag.Split('=')[0]] = tag.Split('=')[1];
            await Registry.RegisterFileAsync(model, modelPath, details);
        }
        await Registry.SetAliasAsync("flowers", "staging", 1);
        await Registry.SetAliasAsync("flowers", "production", 1);
        await Registry.SetAliasAsync("trees", "production", 1);

        var all = await Registry.SearchAsync(new VersionQuery());
        var flowers = await Registry.SearchAsync(new VersionQuery { ModelName = "flowers", Limit = 2 });

        CollectionAssert.AreEqual(new[] { "flowers@3 [] c=3", "flowers@2 [] ", "flowers@1 [production,staging] a=1,b=2", "trees@1 [production] a=9" }, all.Select(Describe).ToArray());
        CollectionAssert.AreEqual(new[] { "flowers@3 [] c=3", "flowers@2 [] " }, flowers.Select(Describe).ToArray());
        Assert.IsTrue(all.All(v => v.Metrics.Count == 0));

        static string Describe(ModelVersionSummary v) => $"{v.Reference} [{string.Join(",", v.Aliases)}] {string.Join(",", v.Tags.Select(t => $"{t.Key}={t.Value}"))}";
    }

    [TestMethod]
    public async Task ALimitedSearchByAMetricReturnsTheTopVersionsWithAllTheirTagsAndTheMetricsAskedFor()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        foreach (var (accuracy, loss) in new[] { (0.80, 0.5), (0.95, 0.2), (0.90, 0.3), (0.85, 0.4) })
        {
            var details = new ModelVersionDetails();
            details.Metrics.Add("accuracy", accuracy).Add("log_loss", loss).Add("epochs", 10);
            details.Tags["architecture"] = "cnn";
            details.Tags["fold"] = accuracy.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Registry.RegisterFileAsync("fashion", modelPath, details);
        }
        var query = new VersionQuery { ModelName = "fashion", OrderByMetric = "accuracy", Limit = 2 };
        query.IncludeMetrics.Add("log_loss");
        query.Tags["architecture"] = "cnn";

        var top = await Registry.SearchAsync(query);

        CollectionAssert.AreEqual(new[] { 2, 3 }, top.Select(v => v.Version).ToArray());
        CollectionAssert.AreEqual(new[] { "architecture", "fold" }, top[0].Tags.Keys.ToArray());
        Assert.AreEqual("0.9", top[1].Tags["fold"]);
        CollectionAssert.AreEqual(new[] { "accuracy", "log_loss" }, top[1].Metrics.Keys.ToArray());
        Assert.AreEqual((0.90, 0.3), (top[1].Metrics["accuracy"], top[1].Metrics["log_loss"]));
    }

    [TestMethod]
    public async Task ComparingVersionsShowsEveryMetricAndTheHyperparametersThatDiffer()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        foreach (var (rate, accuracy) in new[] { (0.01, 0.80), (0.001, 0.86) })
        {
            var details = new ModelVersionDetails().SetHyperparameters(new { LearningRate = rate, Epochs = 10 });
            details.Metrics.Add("accuracy", accuracy);
            await Registry.RegisterFileAsync("flowers", modelPath, details);
        }

        var comparison = await Registry.CompareAsync("flowers", [VersionSelector.Version(1), VersionSelector.Version(2)]);

        var accuracyRow = comparison.Metrics.Single(m => m.Name == "accuracy");
        Assert.AreEqual(0.06, accuracyRow.Change!.Value, 1e-12);
        var learningRate = comparison.Differences.Single(d => d.Name == "hyperparameters.LearningRate");
        CollectionAssert.AreEqual(new[] { "0.01", "0.001" }, learningRate.Values.ToArray());
        Assert.IsFalse(comparison.Differences.Any(d => d.Name == "hyperparameters.Epochs"));
    }

    [TestMethod]
    public async Task AVersionAnAliasPointsToCannotBeDeletedOrArchived()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.SetAliasAsync("flowers", "production", 1);

        var delete = await Assert.ThrowsExactlyAsync<RegistryConflictException>(() => Registry.DeleteAsync("flowers", 1));
        await Assert.ThrowsExactlyAsync<RegistryConflictException>(() => Registry.ArchiveAsync("flowers", 1));

        StringAssert.Contains(delete.Message, "production");
    }

    [TestMethod]
    public async Task AnArchivedVersionCannotBePromoted()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.ArchiveAsync("flowers", 1);

        var error = await Assert.ThrowsExactlyAsync<RegistryConflictException>(() => Registry.SetAliasAsync("flowers", "production", 1));

        StringAssert.Contains(error.Message, "archived");
    }

    [TestMethod]
    public async Task AVersionNumberIsNeverReusedAfterADeletion()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.DeleteAsync("flowers", 2);

        var next = await Registry.RegisterFileAsync("flowers", modelPath);

        Assert.AreEqual(3, next.Version);
    }

    [TestMethod]
    public async Task GarbageCollectionRemovesOnlyFilesThatNoVersionReferences()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        var reportOne = WriteFile("report-1.html", "<p>one</p>");
        var reportTwo = WriteFile("report-2.html", "<p>two</p>");
        await RegisterWithFileAsync(modelPath, reportOne);
        await RegisterWithFileAsync(modelPath, reportTwo);
        await Registry.DeleteAsync("flowers", 1);

        var result = await Registry.CollectGarbageAsync(TimeSpan.Zero);

        Assert.HasCount(1, result.DeletedArtifacts);
        Assert.AreEqual(Sha256(reportOne), result.DeletedArtifacts[0].Sha256);
        Assert.AreEqual(2, result.ReferencedArtifacts);
        using var loaded = await Registry.LoadAsync(new MLContext(), "flowers", VersionSelector.Version(2));
        Assert.AreEqual(2, loaded.Version.Version);
    }

    [TestMethod]
    public async Task GarbageCollectionKeepsUnreferencedFilesYoungerThanTheMinimumAge()
    {
        var orphan = await Registry.Artifacts.PutAsync((stream, token) => stream.WriteAsync(new byte[] { 1, 2, 3 }, token).AsTask());

        var dry = await Registry.CollectGarbageAsync(TimeSpan.FromHours(1));
        var collected = await Registry.CollectGarbageAsync(TimeSpan.Zero);

        Assert.AreEqual((0, 1), (dry.DeletedArtifacts.Count, dry.RecentArtifacts));
        Assert.AreEqual(orphan.Sha256, collected.DeletedArtifacts.Single().Sha256);
    }

    [TestMethod]
    public async Task GarbageCollectionRemovesUploadsThatNeverCompleted()
    {
        var uploads = Directory.CreateDirectory(Path.Combine(Backend.ArtifactFolder, "uploads"));
        var abandoned = Path.Combine(uploads.FullName, "0123.tmp");
        await File.WriteAllBytesAsync(abandoned, new byte[100]);
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddHours(-2));

        var result = await Registry.CollectGarbageAsync(TimeSpan.FromHours(1));

        Assert.AreEqual(1, result.AbandonedUploads);
        Assert.IsFalse(File.Exists(abandoned));
    }

    [TestMethod]
    public async Task ExportWritesTheVersionsFilesAndItsMetadata()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        var report = WriteFile("report.html", "<p>report</p>");
        await RegisterWithFileAsync(modelPath, report);
        var folder = Path.Combine(Backend.Folder, "export");

        var written = await Registry.ExportAsync("flowers", VersionSelector.Latest, folder);

        CollectionAssert.AreEquivalent(new[] { "model.zip", "report.html", "version.json" }, written.Select(Path.GetFileName).ToArray());
        CollectionAssert.AreEqual(await File.ReadAllBytesAsync(modelPath), await File.ReadAllBytesAsync(Path.Combine(folder, "model.zip")));
        Assert.AreEqual(1, JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "version.json")))!["Version"]!.GetValue<int>());
    }

    [TestMethod]
    public async Task ARunLogsEpochsAndCheckpointsAndItsVersionTakesItsHistoryAndHyperparameters()
    {
        var (model, train, _) = TestModels.Fit();
        var run = await Registry.StartRunAsync("flowers", new { Epochs = 2, BatchSize = 16 });
        await run.LogEpochAsync(1, new { Epoch = 1, TrainLoss = 0.7 });
        await run.LogEpochAsync(2, new { Epoch = 2, TrainLoss = 0.4 });
        await run.LogFileAsync("checkpoint-epoch-0002.bin", WriteFile("weights.bin", "weights"));
        await run.EndAsync();

        var reference = await Registry.RegisterAsync("flowers", model, train.Schema, new ModelVersionDetails { Run = run });
        var version = await Registry.GetVersionAsync("flowers", VersionSelector.Version(reference.Version));
        var info = await Registry.GetRunAsync(run.Id);

        Assert.AreEqual(run.Id, version.RunId);
        Assert.AreEqual(16, version.Hyperparameters!["BatchSize"]!.GetValue<int>());
        CollectionAssert.AreEqual(new[] { 0.7, 0.4 }, version.History.Select(h => h["TrainLoss"]!.GetValue<double>()).ToArray());
        Assert.AreEqual(RunStatus.Finished, info.Status);
        Assert.AreEqual("checkpoint-epoch-0002.bin", info.Artifacts.Single().Name);
        Assert.AreEqual(0, (await Registry.CollectGarbageAsync(TimeSpan.Zero)).DeletedArtifacts.Count);
    }

    [TestMethod]
    public async Task NamesThatCouldLeaveAFolderAreRefusedBeforeAnythingIsWritten()
    {
        var (model, train, _) = TestModels.Fit();
        var badTag = new ModelVersionDetails();
        badTag.Tags["../../etc"] = "x";
        var badFile = new ModelVersionDetails();
        badFile.Files["../outside.bin"] = WriteFile("payload.bin", "x");

        await Assert.ThrowsExactlyAsync<ArgumentException>(() => Registry.RegisterAsync("../flowers", model, train.Schema));
        await Assert.ThrowsExactlyAsync<ArgumentException>(() => Registry.RegisterAsync("flowers", model, train.Schema, badTag));
        await Assert.ThrowsExactlyAsync<ArgumentException>(() => Registry.RegisterAsync("flowers", model, train.Schema, badFile));
        await Assert.ThrowsExactlyAsync<ArgumentException>(() => Registry.SetAliasAsync("flowers", "prod/../x", 1));

        Assert.IsEmpty(await Registry.ListModelsAsync());
        Assert.IsFalse(Directory.Exists(Backend.ArtifactFolder) && Directory.EnumerateFiles(Backend.ArtifactFolder, "*", SearchOption.AllDirectories).Any());
    }

    [TestMethod]
    public async Task AMissingModelVersionOrAliasIsReportedWithWhatExists()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.SetAliasAsync("flowers", "staging", 1);

        var noModel = await Assert.ThrowsExactlyAsync<RegistryNotFoundException>(() => Registry.ResolveAsync("trees", VersionSelector.Latest));
        var noVersion = await Assert.ThrowsExactlyAsync<RegistryNotFoundException>(() => Registry.ResolveAsync("flowers", VersionSelector.Version(4)));
        var noAlias = await Assert.ThrowsExactlyAsync<RegistryNotFoundException>(() => Registry.ResolveAsync("flowers", VersionSelector.ForAlias("production")));

        StringAssert.Contains(noModel.Message, "no model named 'trees'");
        StringAssert.Contains(noVersion.Message, "numbered 1 to 1");
        StringAssert.Contains(noAlias.Message, "its aliases: staging");
    }

    [TestMethod]
    public async Task ModelsAreListedWithTheirNewestVersionAndAliases()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.RegisterFileAsync("trees", modelPath);
        await Registry.SetAliasAsync("flowers", "production", 1);

        var models = await Registry.ListModelsAsync();

        CollectionAssert.AreEqual(new[] { "flowers", "trees" }, models.Select(m => m.Name).ToArray());
        Assert.AreEqual((2, 2, 1), (models[0].LatestVersion, models[0].ActiveVersions, models[0].Aliases["production"]));
    }

    [TestMethod]
    public async Task ConcurrentRegistrationsInOneProcessGetDistinctConsecutiveNumbers()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));

        var versions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Registry.RegisterFileAsync("flowers", modelPath))));

        CollectionAssert.AreEquivalent(Enumerable.Range(1, 8).ToArray(), versions.Select(v => v.Version).ToArray());
    }

    [TestMethod]
    public async Task AnAliasWatcherSeesTheAliasMoveAndCancelsItsChangeToken()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.SetAliasAsync("flowers", "production", 1);
        await using var watcher = Registry.WatchAlias("flowers", "production", TimeSpan.FromMilliseconds(20));
        var moved = new TaskCompletionSource<AliasMovedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Moved += (_, e) => moved.TrySetResult(e);
        await watcher.StartAsync();
        var token = watcher.ChangeToken;

        await Registry.SetAliasAsync("flowers", "production", 2);
        var move = await moved.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.AreEqual((1, 2), (move.Previous!.Version, move.Current!.Version));
        Assert.IsTrue(token.IsCancellationRequested);
        Assert.AreEqual(2, watcher.Current!.Version);
        Assert.IsFalse(watcher.ChangeToken.IsCancellationRequested);
    }

    [TestMethod]
    public async Task AnAliasWatcherSeesTheAliasRemovedAndWhatItPointsToCanBeLoaded()
    {
        var modelPath = TestModels.SaveModelFile(Path.Combine(Backend.Folder, "model.zip"));
        await Registry.RegisterFileAsync("flowers", modelPath);
        await Registry.SetAliasAsync("flowers", "staging", 1);
        await using var watcher = Registry.WatchAlias("flowers", "staging", TimeSpan.FromHours(1));
        await watcher.StartAsync();
        using (var loaded = await Registry.LoadAsync(new MLContext(), watcher.Current!))
            Assert.AreEqual(1, loaded.Version.Version);

        await Registry.RemoveAliasAsync("flowers", "staging");
        var moved = await watcher.PollAsync();

        Assert.IsTrue(moved);
        Assert.IsNull(watcher.Current);
    }

    protected string WriteFile(string name, string content)
    {
        var path = Path.Combine(Backend.Folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private Task<VersionReference> RegisterWithFileAsync(string modelPath, string reportPath)
    {
        var details = new ModelVersionDetails();
        details.Files["report.html"] = reportPath;
        return Registry.RegisterFileAsync("flowers", modelPath, details);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}

[TestClass]
public sealed class SqliteRegistryTests : RegistryContractTests
{
    protected override RegistryBackend CreateBackend() => new SqliteBackend();
}

[TestClass]
[RequiresPostgreSql]
public sealed class PostgreSqlRegistryTests : RegistryContractTests
{
    protected override RegistryBackend CreateBackend() => new PostgreSqlBackend();
}
