using System.Text.Json.Nodes;
using MlNetDeep.Models;
using MlNetDeep.Registry.Sqlite;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry.Tests;

/// <summary>The `models` command on a real SQLite registry, run in-process with its output captured.</summary>
[TestClass]
public sealed class ModelsCommandTests
{
    private string folder = null!;

    [TestInitialize]
    public async Task CreateRegistryAsync()
    {
        folder = Directory.CreateTempSubdirectory("mlnetdeep-models-").FullName;
        var modelPath = TestModels.SaveModelFile(Path.Combine(folder, "model.zip"));
        await using var registry = await SqliteRegistry.OpenAsync(Path.Combine(folder, "registry"));
        registry.Actor = "alice";
        foreach (var (accuracy, rate) in new[] { (0.81, 0.01), (0.86, 0.001) })
        {
            var details = new ModelVersionDetails { Description = $"learning rate {rate}" }.SetHyperparameters(new { LearningRate = rate, Epochs = 10 });
            details.Metrics.Add("accuracy", accuracy);
            details.Tags["architecture"] = "mlp";
            await registry.RegisterFileAsync("flowers", modelPath, details);
        }
    }

    [TestCleanup]
    public void RemoveRegistry() => Directory.Delete(folder, recursive: true);

    [TestMethod]
    public async Task ListShowsEachModelWithItsNewestVersion()
    {
        var (code, output, _) = await RunAsync("list");

        Assert.AreEqual(ExitCodes.Success, code);
        StringAssert.Contains(output, "MODEL    LATEST  VERSIONS");
        StringAssert.Contains(output, "flowers       2         2");
    }

    [TestMethod]
    public async Task ListOfAModelSortedByAMetricPutsTheBestFirst()
    {
        var (code, output, _) = await RunAsync("list", "flowers", "--sort", "accuracy", "--json");
        var versions = JsonNode.Parse(output)!.AsArray();

        Assert.AreEqual(ExitCodes.Success, code);
        CollectionAssert.AreEqual(new[] { 2, 1 }, versions.Select(v => v!["Version"]!.GetValue<int>()).ToArray());
        Assert.AreEqual(0.86, versions[0]!["Metrics"]!["accuracy"]!.GetValue<double>());
    }

    [TestMethod]
    public async Task PromoteMovesTheAliasAndShowListsTheMove()
    {
        var (promoted, promoteOutput, _) = await RunAsync("promote", "flowers", "2", "--alias", "production", "--reason", "higher accuracy", "--by", "bob");
        var (shown, showOutput, _) = await RunAsync("show", "flowers@production");

        Assert.AreEqual((ExitCodes.Success, ExitCodes.Success), (promoted, shown));
        StringAssert.Contains(promoteOutput, "flowers: production → version 2 (new alias), by bob: higher accuracy");
        StringAssert.Contains(showOutput, "flowers@2  (active)");
        StringAssert.Contains(showOutput, "LearningRate = 0.001");
        StringAssert.Contains(showOutput, "production  -     2   bob");
    }

    [TestMethod]
    public async Task CompareShowsTheMetricChangeAndTheDifferingHyperparameter()
    {
        var (code, output, _) = await RunAsync("compare", "flowers", "1", "2");

        Assert.AreEqual(ExitCodes.Success, code);
        StringAssert.Contains(output, "accuracy  0.81  0.86   +0.05");
        StringAssert.Contains(output, "hyperparameters.LearningRate  0.01  0.001");
    }

    [TestMethod]
    public async Task ExportWritesTheModelAndItsMetadata()
    {
        var target = Path.Combine(folder, "export");

        var (code, _, _) = await RunAsync("export", "flowers@1", "--out", target);
        var (again, _, error) = await RunAsync("export", "flowers@1", "--out", target);

        Assert.AreEqual((ExitCodes.Success, ExitCodes.Conflict), (code, again));
        Assert.IsTrue(File.Exists(Path.Combine(target, "model.zip")));
        StringAssert.Contains(error, "exists");
    }

    [TestMethod]
    public async Task GarbageCollectionReportsWhatItRemoved()
    {
        var (code, output, _) = await RunAsync("gc", "--min-age", "0");

        Assert.AreEqual(ExitCodes.Success, code);
        StringAssert.Contains(output, "removed 0 unreferenced file(s)");
    }

    [TestMethod]
    public async Task AMissingVersionExitsWithNotFoundAndSaysWhichVersionsExist()
    {
        var (code, _, error) = await RunAsync("show", "flowers@7");

        Assert.AreEqual(ExitCodes.NotFound, code);
        StringAssert.Contains(error, "numbered 1 to 2");
    }

    [TestMethod]
    public async Task ATamperedModelFileExitsWithIntegrityFailure()
    {
        var store = new FileArtifactStore(Path.Combine(folder, "registry", SqliteRegistry.ArtifactFolderName));
        await foreach (var artifact in store.ListAsync())
            await File.AppendAllTextAsync(store.PathOf(artifact.Sha256), "tampered");

        var (code, _, error) = await RunAsync("export", "flowers@1", "--out", Path.Combine(folder, "export"));

        Assert.AreEqual(ExitCodes.IntegrityFailure, code);
        StringAssert.Contains(error, "was changed or damaged after registration");
    }

    [TestMethod]
    public async Task PromotingAnArchivedVersionExitsWithConflict()
    {
        await using (var registry = await SqliteRegistry.OpenAsync(Path.Combine(folder, "registry")))
            await registry.ArchiveAsync("flowers", 1);

        var (code, _, _) = await RunAsync("promote", "flowers", "1", "--alias", "production");

        Assert.AreEqual(ExitCodes.Conflict, code);
    }

    [TestMethod]
    [DataRow("list", "--limit")]
    [DataRow("promote", "flowers", "2")]
    [DataRow("show", "../etc@1")]
    [DataRow("gc", "--min-age", "soon")]
    public async Task InvalidUsageExitsWithTwo(params string[] args)
    {
        var (code, _, error) = await RunAsync(args);

        Assert.AreEqual(ExitCodes.InvalidUsage, code);
        Assert.IsFalse(string.IsNullOrWhiteSpace(error));
    }

    [TestMethod]
    public async Task AFolderWithoutARegistryExitsWithNotFoundAndIsNotCreated()
    {
        var missing = Path.Combine(folder, "missing");

        var (code, _, _) = await ModelsCommandRunner.RunAsync(["list", "--registry", missing]);

        Assert.AreEqual(ExitCodes.NotFound, code);
        Assert.IsFalse(Directory.Exists(missing));
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        ModelsCommandRunner.RunAsync([.. args, "--registry", Path.Combine(folder, "registry")]);
}

internal static class ModelsCommandRunner
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ModelsCommand.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
