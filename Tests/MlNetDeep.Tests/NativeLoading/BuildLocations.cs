using System.Reflection;

namespace MlNetDeep.Tests.NativeLoading;

/// <summary>Paths and package names the test project's build recorded (see AssemblyMetadata in the .csproj).</summary>
internal static class BuildLocations
{
    public static string NuGetPackageRoot => Metadata("NuGetPackageRoot");

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public static string TorchSharpBackendPackage => Metadata("TorchSharpBackendPackage");

    public static string TorchSharpBackendVersion => Metadata("TorchSharpBackendVersion");

    /// <summary>TorchSharp's own libLibTorchSharp.so in the NuGet cache: read it, never write it.</summary>
    public static string TorchSharpNativeInNuGetCache
    {
        get
        {
            string version = typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3);
            string path = Path.Combine(NuGetPackageRoot, "torchsharp", version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            Assert.IsTrue(File.Exists(path), $"TorchSharp's native library is not where the restore put the package: {path}");
            return path;
        }
    }

    private static string Metadata(string key) =>
        typeof(BuildLocations).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"The test build recorded no {key}.");
}
