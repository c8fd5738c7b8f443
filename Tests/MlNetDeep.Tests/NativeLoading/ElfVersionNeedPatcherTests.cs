using MlNetDeep.Build;

namespace MlNetDeep.Tests.NativeLoading;

/// <summary>The patcher on a copy of TorchSharp's real libLibTorchSharp.so, with the host's versions made up per test.</summary>
[TestClass]
[OSCondition(OperatingSystems.Linux)]
public sealed class ElfVersionNeedPatcherTests
{
    private const string Libstdcxx = "libstdc++.so.6";
    // Needed only by _ZSt21ios_base_library_initv, which no relocation uses.
    private const string UnrelocatedVersion = "GLIBCXX_3.4.32";
    // Needed by std::condition_variable::wait, which the PLT relocates.
    private const string RelocatedVersion = "GLIBCXX_3.4.30";

    private string _directory = "";
    private string _source = "";
    private string _destination = "";

    [TestInitialize]
    public void CopyTheRealLibrary()
    {
        _directory = Directory.CreateTempSubdirectory("mlnetdeep-elf-").FullName;
        _source = Path.Combine(_directory, "source", "libLibTorchSharp.so");
        _destination = Path.Combine(_directory, "out", "libLibTorchSharp.so");
        Directory.CreateDirectory(Path.GetDirectoryName(_source)!);
        File.Copy(BuildLocations.TorchSharpNativeInNuGetCache, _source);
    }

    [TestCleanup]
    public void RemoveTheCopies() => Directory.Delete(_directory, recursive: true);

    [TestMethod]
    public void WeakensAMissingVersionThatNoRelocatedSymbolUses()
    {
        VersionNeedPatchResult result = ElfVersionNeedPatcher.Patch(_source, _destination, HostLacking(UnrelocatedVersion));

        Assert.AreEqual($"{Libstdcxx} {UnrelocatedVersion}", string.Join("; ", result.Weakened));
        Assert.AreEqual(0, result.Blocked.Count);
        IReadOnlyList<VersionNeed> before = ElfVersionNeedPatcher.ReadVersionNeeds(_source);
        IReadOnlyList<VersionNeed> after = ElfVersionNeedPatcher.ReadVersionNeeds(_destination);
        Assert.AreEqual(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            bool weakened = before[i].File == Libstdcxx && before[i].Version == UnrelocatedVersion;
            Assert.AreEqual(before[i].ToString(), after[i].ToString());
            Assert.AreEqual(weakened ? before[i].Flags | ElfVersionNeedPatcher.WeakFlag : before[i].Flags, (int)after[i].Flags, after[i].ToString());
        }
    }

    [TestMethod]
    public void ChangesNoByteButTheWeakBitOfThatEntry()
    {
        ElfVersionNeedPatcher.Patch(_source, _destination, HostLacking(UnrelocatedVersion));

        byte[] before = File.ReadAllBytes(_source);
        byte[] after = File.ReadAllBytes(_destination);
        Assert.AreEqual(before.Length, after.Length);
        int[] changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        Assert.HasCount(1, changed);
        Assert.AreEqual(before[changed[0]] | ElfVersionNeedPatcher.WeakFlag, (int)after[changed[0]]);
    }

    [TestMethod]
    public void KeepsAMissingVersionThatARelocatedSymbolUses()
    {
        VersionNeedPatchResult result = ElfVersionNeedPatcher.Patch(_source, _destination, HostLacking(RelocatedVersion));

        Assert.AreEqual(0, result.Weakened.Count);
        MissingVersion blocked = result.Blocked.Single();
        Assert.AreEqual($"{Libstdcxx} {RelocatedVersion}", blocked.ToString());
        Assert.AreNotEqual(0, blocked.BlockingSymbols.Count);
        CollectionAssert.AreEqual(File.ReadAllBytes(_source), File.ReadAllBytes(_destination));
    }

    [TestMethod]
    public void CopiesUnchangedWhenTheHostHasEveryNeededVersion()
    {
        VersionNeedPatchResult result = ElfVersionNeedPatcher.Patch(_source, _destination, HostLacking());

        Assert.AreEqual(0, result.Weakened.Count + result.Blocked.Count);
        CollectionAssert.AreEqual(File.ReadAllBytes(_source), File.ReadAllBytes(_destination));
    }

    [TestMethod]
    public void LeavesNeedsOnFilesTheHostWasNotAskedAbout()
    {
        VersionNeedPatchResult result = ElfVersionNeedPatcher.Patch(_source, _destination, new Dictionary<string, ISet<string>>());

        Assert.AreEqual(0, result.Weakened.Count + result.Blocked.Count);
        CollectionAssert.AreEqual(File.ReadAllBytes(_source), File.ReadAllBytes(_destination));
    }

    [TestMethod]
    public void NeverWritesTheSource()
    {
        byte[] bytes = File.ReadAllBytes(_source);
        DateTime written = File.GetLastWriteTimeUtc(_source);

        ElfVersionNeedPatcher.Patch(_source, _destination, HostLacking(UnrelocatedVersion));

        CollectionAssert.AreEqual(bytes, File.ReadAllBytes(_source));
        Assert.AreEqual(written, File.GetLastWriteTimeUtc(_source));
    }

    [TestMethod]
    public void ReplacesAnExistingDestinationAndLeavesNoTemporaryFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_destination)!);
        File.WriteAllText(_destination, "stale");

        ElfVersionNeedPatcher.Patch(_source, _destination, HostLacking(UnrelocatedVersion));

        Assert.IsTrue(ElfVersionNeedPatcher.ReadVersionNeeds(_destination).Single(n => n.Version == UnrelocatedVersion).IsWeak);
        CollectionAssert.AreEqual(new[] { _destination }, Directory.GetFiles(Path.GetDirectoryName(_destination)!));
    }

    [TestMethod]
    public void RejectsAFileThatIsNotA64BitLittleEndianElf()
    {
        File.WriteAllText(_source, "#!/bin/sh\necho not a library\n");

        Assert.ThrowsExactly<InvalidDataException>(() => ElfVersionNeedPatcher.Patch(_source, _destination, HostLacking()));
        Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(_destination)));
    }

    /// <summary>A host whose libstdc++ defines every version the library needs from it except <paramref name="missing"/>.</summary>
    private Dictionary<string, ISet<string>> HostLacking(params string[] missing)
    {
        var versions = ElfVersionNeedPatcher.ReadVersionNeeds(_source)
            .Where(n => n.File == Libstdcxx)
            .Select(n => n.Version)
            .ToHashSet(StringComparer.Ordinal);
        foreach (string version in missing)
            Assert.IsTrue(versions.Remove(version), $"libLibTorchSharp.so no longer needs {version} from {Libstdcxx}; pick another version for this test.");
        return new Dictionary<string, ISet<string>> { [Libstdcxx] = versions };
    }
}
