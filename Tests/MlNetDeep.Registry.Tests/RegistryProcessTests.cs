using MlNetDeep.Registry.Worker;

namespace MlNetDeep.Registry.Tests;

/// <summary>Real processes against one registry: many at once, and killed (SIGKILL) in the middle of a registration.</summary>
public abstract class RegistryProcessTests
{
    private const string Model = "flowers";

    protected abstract RegistryBackend CreateBackend();

    [TestMethod]
    public async Task EightProcessesRegisteringAtOnceGetEveryVersionNumberExactlyOnce()
    {
        await using var backend = CreateBackend();
        var modelFile = TestModels.SaveModelFile(Path.Combine(backend.Folder, "model.zip"));

        // The registry does not exist yet: the eight processes also race to create its schema.
        var workers = Enumerable.Range(1, 8)
            .Select(i => WorkerProcess.Start(backend.WorkerArguments, Model, modelFile, count: 4, payloadBytes: 64 * 1024, worker: $"w{i}"))
            .ToArray();
        try
        {
            var results = await Task.WhenAll(workers.Select(w => w.WaitAsync(TimeSpan.FromMinutes(3))));
            Assert.IsTrue(results.All(r => r.ExitCode == 0), string.Join("\n", results.Select(r => r.Errors)));
        }
        finally
        {
            foreach (var worker in workers)
                worker.Dispose();
        }

        await using var registry = await backend.OpenAsync();
        var audit = await RegistryAudit.TakeAsync(registry, Model, backend.ArtifactFolder);
        CollectionAssert.AreEqual(Enumerable.Range(1, 32).ToArray(), workers.SelectMany(w => w.Committed).Order().ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(1, 32).ToArray(), audit.Versions.ToArray());
        Assert.IsEmpty(audit.BrokenVersions);
        foreach (var worker in Enumerable.Range(1, 8))
        {
            var query = new VersionQuery { ModelName = Model };
            query.Tags["worker"] = $"w{worker}";
            Assert.HasCount(4, await registry.SearchAsync(query));
        }
    }

    [TestMethod]
    public async Task ProcessesKilledMidRegistrationLeaveNoHalfVersionAndGarbageCollectionRemovesTheirLeftovers()
    {
        await using var backend = CreateBackend();
        var modelFile = TestModels.SaveModelFile(Path.Combine(backend.Folder, "model.zip"));
        var random = new Random(5);
        var committed = new List<int>();
        for (var trial = 0; trial < 5; trial++)
        {
            using var worker = WorkerProcess.Start(backend.WorkerArguments, Model, modelFile, count: 0, payloadBytes: 512 * 1024, worker: $"trial{trial}");
            await worker.FirstCommit.WaitAsync(TimeSpan.FromMinutes(1));
            await Task.Delay(random.Next(0, 40));
            await worker.KillAsync();
            committed.AddRange(worker.Committed);
        }

        await using var registry = await backend.OpenAsync();
        var audit = await RegistryAudit.TakeAsync(registry, Model, backend.ArtifactFolder);
        await registry.CollectGarbageAsync(TimeSpan.Zero);
        var afterCollection = await RegistryAudit.TakeAsync(registry, Model, backend.ArtifactFolder);

        Assert.IsTrue(audit.NumbersAreContiguous, string.Join(", ", audit.Versions));
        CollectionAssert.IsSubsetOf(committed, audit.Versions.ToArray());
        Assert.IsEmpty(audit.BrokenVersions, string.Join("\n", audit.BrokenVersions));
        Assert.AreEqual((0, 0), (afterCollection.OrphanArtifacts, afterCollection.AbandonedUploads));
        CollectionAssert.AreEqual(audit.Versions.ToArray(), afterCollection.Versions.ToArray());
        Assert.IsEmpty(afterCollection.BrokenVersions);
    }
}

[TestClass]
public sealed class SqliteProcessTests : RegistryProcessTests
{
    protected override RegistryBackend CreateBackend() => new SqliteBackend();
}

[TestClass]
[RequiresPostgreSql]
public sealed class PostgreSqlProcessTests : RegistryProcessTests
{
    protected override RegistryBackend CreateBackend() => new PostgreSqlBackend();
}
