using MlNetDeep.Build;

namespace MlNetDeep.Tests.NativeLoading;

[TestClass]
[OSCondition(OperatingSystems.Linux)]
public sealed class HostLibraryTests
{
    private const ushort X86_64 = 62;
    private const ushort AArch64 = 183;

    private string _directory = "";

    [TestInitialize]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("mlnetdeep-ldso-").FullName;

    [TestCleanup]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    [TestMethod]
    public void SearchesLdLibraryPathThenLdSoConfWithItsIncludesThenTheStandardDirectories()
    {
        string conf = Path.Combine(_directory, "ld.so.conf");
        Directory.CreateDirectory(Path.Combine(_directory, "ld.so.conf.d"));
        File.WriteAllText(conf, "# system libraries\n/opt/first\ninclude ld.so.conf.d/*.conf\n/opt/last # trailing comment\n");
        File.WriteAllText(Path.Combine(_directory, "ld.so.conf.d", "b.conf"), "/opt/from-b\n");
        File.WriteAllText(Path.Combine(_directory, "ld.so.conf.d", "a.conf"), "/opt/from-a\n\n/opt/first\n");
        File.WriteAllText(Path.Combine(_directory, "ld.so.conf.d", "ignored.txt"), "/opt/ignored\n");

        IReadOnlyList<string> directories = HostLibraryLocator.SearchDirectories("/env/one::/env/two", conf, X86_64);

        CollectionAssert.AreEqual(
            new[]
            {
                "/env/one", "/env/two", "/opt/first", "/opt/from-a", "/opt/from-b", "/opt/last",
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
            },
            directories.ToArray());
    }

    [TestMethod]
    public void UsesTheMultiarchDirectoriesOfTheLibrarysMachine()
    {
        IReadOnlyList<string> directories = HostLibraryLocator.SearchDirectories(null, Path.Combine(_directory, "missing.conf"), AArch64);

        CollectionAssert.AreEqual(
            new[] { "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib" },
            directories.ToArray());
    }

    [TestMethod]
    public void SkipsACopyBuiltForAnotherMachine()
    {
        string hostLibstdcxx = HostLibstdcxx();
        string foreign = Path.Combine(_directory, "foreign");
        string native = Path.Combine(_directory, "native");
        Directory.CreateDirectory(foreign);
        Directory.CreateDirectory(native);
        byte[] bytes = File.ReadAllBytes(hostLibstdcxx);
        File.WriteAllBytes(Path.Combine(native, "libstdc++.so.6"), bytes);
        ushort machine = ElfVersionNeedPatcher.ReadMachine(hostLibstdcxx);
        ushort otherMachine = machine == X86_64 ? AArch64 : X86_64;
        bytes[18] = (byte)otherMachine;   // e_machine
        bytes[19] = (byte)(otherMachine >> 8);
        File.WriteAllBytes(Path.Combine(foreign, "libstdc++.so.6"), bytes);

        string? found = HostLibraryLocator.Find("libstdc++.so.6", machine, new[] { Path.Combine(_directory, "empty"), foreign, native });

        Assert.AreEqual(Path.Combine(native, "libstdc++.so.6"), found);
    }

    [TestMethod]
    public void FindsNothingWhenNoDirectoryHasTheFile() =>
        Assert.IsNull(HostLibraryLocator.Find("libstdc++.so.6", X86_64, new[] { _directory }));

    [TestMethod]
    public void FindsTheHostLibstdcxxForTorchSharpsMachine() =>
        Assert.IsTrue(File.Exists(HostLibstdcxx()));

    [TestMethod]
    public void ReadsTheHostLibstdcxxVersionsWithoutItsSoname()
    {
        ISet<string> defined = ElfVersionNeedPatcher.ReadDefinedVersions(HostLibstdcxx());

        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
        Assert.DoesNotContain("libstdc++.so.6", defined);
        // GLIBCXX_3.4.n are defined without gaps up to the newest one.
        int newest = defined.Where(v => v.StartsWith("GLIBCXX_3.4.", StringComparison.Ordinal))
            .Select(v => int.TryParse(v["GLIBCXX_3.4.".Length..], out int n) ? n : 0)
            .Max();
        for (int n = 1; n <= newest; n++)
            Assert.Contains($"GLIBCXX_3.4.{n}", defined);
    }

    [TestMethod]
    public void ReportsExactlyTheNeededVersionsThisHostLacks()
    {
        string hostLibstdcxx = HostLibstdcxx();
        ISet<string> defined = ElfVersionNeedPatcher.ReadDefinedVersions(hostLibstdcxx);
        string torchSharp = BuildLocations.TorchSharpNativeInNuGetCache;
        var lacking = ElfVersionNeedPatcher.ReadVersionNeeds(torchSharp)
            .Where(n => n.File == "libstdc++.so.6" && !defined.Contains(n.Version))
            .Select(n => n.Version)
            .ToHashSet();

        VersionNeedPatchResult result = ElfVersionNeedPatcher.Patch(
            torchSharp, Path.Combine(_directory, "libLibTorchSharp.so"), new Dictionary<string, ISet<string>> { ["libstdc++.so.6"] = defined });

        var reported = result.Weakened.Concat(result.Blocked).Select(m => m.Version).ToList();
        Assert.IsTrue(lacking.SetEquals(reported), $"lacking: {string.Join(", ", lacking)}; reported: {string.Join(", ", reported)}");
        foreach (string version in reported)
            Assert.DoesNotContain(version, defined);
    }

    private static string HostLibstdcxx()
    {
        ushort machine = ElfVersionNeedPatcher.ReadMachine(BuildLocations.TorchSharpNativeInNuGetCache);
        return HostLibraryLocator.Find("libstdc++.so.6", machine)
            ?? throw new AssertFailedException("No libstdc++.so.6 for TorchSharp's machine on this host.");
    }
}
