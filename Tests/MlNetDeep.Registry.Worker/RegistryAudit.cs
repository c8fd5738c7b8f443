namespace MlNetDeep.Registry.Worker;

/// <summary>What a registry holds after workers ran (and perhaps were killed).</summary>
/// <param name="Versions">The version numbers of the model, in order.</param>
/// <param name="BrokenVersions">Versions whose files are missing or do not match their hashes (half-written versions).</param>
/// <param name="OrphanArtifacts">Stored files no version or run references.</param>
/// <param name="AbandonedUploads">Temporary upload files.</param>
public sealed record RegistryAudit(IReadOnlyList<int> Versions, IReadOnlyList<string> BrokenVersions, int OrphanArtifacts, int AbandonedUploads)
{
    /// <summary>Whether the versions are exactly 1, 2, …, n.</summary>
    public bool NumbersAreContiguous => Versions.Select((v, i) => v == i + 1).All(ok => ok);

    /// <summary>Reads every version of <paramref name="model"/>, checks each of its files against its hash, and counts leftovers.</summary>
    public static async Task<RegistryAudit> TakeAsync(ModelRegistry registry, string model, string artifactFolder)
    {
        var versions = (await registry.SearchAsync(new VersionQuery { ModelName = model, IncludeArchived = true, IncludeDeleted = true }))
            .Select(v => v.Version).Order().ToArray();
        var broken = new List<string>();
        foreach (var number in versions)
        {
            var version = await registry.GetVersionAsync(model, VersionSelector.Version(number));
            if (version.Status == VersionStatus.Active && version.ModelArtifact is null)
                broken.Add($"{version.Reference}: no model file");
            foreach (var artifact in version.Artifacts)
            {
                try
                {
                    await using var content = await registry.OpenArtifactAsync(artifact);
                }
                catch (ArtifactIntegrityException e)
                {
                    broken.Add($"{version.Reference}: {e.Message}");
                }
            }
        }
        var referenced = new HashSet<string>();
        foreach (var number in versions)
            referenced.UnionWith((await registry.GetVersionAsync(model, VersionSelector.Version(number))).Artifacts.Select(a => a.Sha256));
        var orphans = 0;
        await foreach (var stored in registry.Artifacts.ListAsync())
        {
            if (!referenced.Contains(stored.Sha256))
                orphans++;
        }
        var uploads = Path.Combine(artifactFolder, "uploads");
        var abandoned = Directory.Exists(uploads) ? Directory.EnumerateFiles(uploads).Count() : 0;
        return new RegistryAudit(versions, broken, orphans, abandoned);
    }
}
