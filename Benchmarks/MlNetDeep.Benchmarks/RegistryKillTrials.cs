using MlNetDeep.Registry;
using MlNetDeep.Registry.Worker;

namespace MlNetDeep.Benchmarks;

/// <summary>What killing registering processes left behind, trial by trial, and what remained after garbage collection.</summary>
/// <param name="Trials">Processes started and killed with SIGKILL.</param>
/// <param name="KillDelayMs">The kill came this many milliseconds (uniformly at random) after the process reported its first commit.</param>
/// <param name="KilledWhileWritingAFile">Trials that left an unfinished upload (a temporary file).</param>
/// <param name="KilledBetweenFileAndCommit">Trials that left a complete file no version references (stored, not committed).</param>
/// <param name="KilledAfterCommitBeforeReport">Trials whose last version was committed but not yet reported by the process.</param>
/// <param name="VersionsReported">Versions the processes reported committed.</param>
/// <param name="VersionsFound">Versions in the registry afterwards.</param>
/// <param name="CommittedButMissing">Reported versions not found (must be 0).</param>
/// <param name="HalfWrittenVersions">Versions whose files are missing or fail their hash (must be 0).</param>
/// <param name="NumbersContiguous">Whether the versions are numbered 1…n without gaps.</param>
/// <param name="GcRemovedArtifacts">Unreferenced files garbage collection removed.</param>
/// <param name="GcRemovedUploads">Temporary upload files garbage collection removed.</param>
/// <param name="OrphansAfterGc">Unreferenced files left after garbage collection (must be 0).</param>
/// <param name="UploadsAfterGc">Temporary files left after garbage collection (must be 0).</param>
/// <param name="Seconds">Wall time of the trials.</param>
internal sealed record KillTrialFigures(int Trials, int[] KillDelayMs, int KilledWhileWritingAFile, int KilledBetweenFileAndCommit, int KilledAfterCommitBeforeReport,
    int VersionsReported, int VersionsFound, int CommittedButMissing, int HalfWrittenVersions, bool NumbersContiguous,
    int GcRemovedArtifacts, int GcRemovedUploads, int OrphansAfterGc, int UploadsAfterGc, double Seconds);

/// <summary>
/// Starts a process that registers versions (the model and a fresh 5 MB payload each) without pause, and kills it with
/// SIGKILL at a random moment; repeated <c>trials</c> times on one registry, then audits every version, collects
/// garbage and audits again.
/// </summary>
internal static class RegistryKillTrials
{
    private const string Model = "killed";
    private const int MaximumDelayMs = 60;

    public static async Task<KillTrialFigures> RunAsync(Func<Task<ModelRegistry>> open, string[] workerArguments, string artifactFolder, string modelFile, int trials)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var random = new Random(11);
        var reported = new List<int>();
        int whileWriting = 0, betweenFileAndCommit = 0, afterCommit = 0;
        await using (var registry = await open())
        {
            for (var trial = 0; trial < trials; trial++)
            {
                var before = await SnapshotAsync(registry, artifactFolder);
                using var worker = WorkerProcess.Start(workerArguments, Model, modelFile, count: 0, payloadBytes: 5 << 20, worker: $"trial{trial}");
                await worker.FirstCommit.WaitAsync(TimeSpan.FromMinutes(2));
                await Task.Delay(random.Next(0, MaximumDelayMs + 1));
                await worker.KillAsync();
                var committed = worker.Committed;
                reported.AddRange(committed);
                var after = await SnapshotAsync(registry, artifactFolder);
                var newVersions = after.Versions.Except(before.Versions).ToArray();
                var referenced = new HashSet<string>();
                foreach (var number in newVersions)
                    referenced.UnionWith((await registry.GetVersionAsync(Model, VersionSelector.Version(number))).Artifacts.Select(a => a.Sha256));
                if (after.Uploads > before.Uploads)
                    whileWriting++;
                if (after.Artifacts.Except(before.Artifacts).Any(a => !referenced.Contains(a)))
                    betweenFileAndCommit++;
                if (newVersions.Length > committed.Count)
                    afterCommit++;
                if ((trial + 1) % 10 == 0)
                    Console.WriteLine($"  {trial + 1} trials");
            }
        }
        await using var audited = await open();
        var audit = await RegistryAudit.TakeAsync(audited, Model, artifactFolder);
        var collected = await audited.CollectGarbageAsync(TimeSpan.Zero);
        var afterGc = await RegistryAudit.TakeAsync(audited, Model, artifactFolder);
        return new KillTrialFigures(trials, [0, MaximumDelayMs], whileWriting, betweenFileAndCommit, afterCommit,
            reported.Count, audit.Versions.Count, reported.Except(audit.Versions).Count(), audit.BrokenVersions.Count + afterGc.BrokenVersions.Count,
            audit.NumbersAreContiguous && afterGc.Versions.SequenceEqual(audit.Versions),
            collected.DeletedArtifacts.Count, collected.AbandonedUploads, afterGc.OrphanArtifacts, afterGc.AbandonedUploads,
            Statistics.Round(clock.Elapsed.TotalSeconds));
    }

    private sealed record Snapshot(IReadOnlyList<int> Versions, IReadOnlyList<string> Artifacts, int Uploads);

    private static async Task<Snapshot> SnapshotAsync(ModelRegistry registry, string artifactFolder)
    {
        var versions = (await registry.SearchAsync(new VersionQuery { ModelName = Model, IncludeArchived = true, IncludeDeleted = true })).Select(v => v.Version).ToArray();
        var artifacts = new List<string>();
        await foreach (var artifact in registry.Artifacts.ListAsync())
            artifacts.Add(artifact.Sha256);
        var uploads = Path.Combine(artifactFolder, "uploads");
        return new Snapshot(versions, artifacts, Directory.Exists(uploads) ? Directory.EnumerateFiles(uploads).Count() : 0);
    }
}
