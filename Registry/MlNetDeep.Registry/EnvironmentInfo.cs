using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Registry;

/// <summary>Where a version was trained or registered: packages, runtime, OS, hardware, seed.</summary>
public sealed record EnvironmentInfo
{
    /// <summary>Versions of the ML packages loaded in the process (Microsoft.ML*, MlNetDeep*, TorchSharp, ONNX Runtime), by assembly name.</summary>
    public required IReadOnlyDictionary<string, string> Packages { get; init; }

    /// <summary>The .NET runtime, e.g. ".NET 10.0.0".</summary>
    public required string Runtime { get; init; }

    /// <summary>The operating system, e.g. "Debian GNU/Linux 12 (bookworm)".</summary>
    public required string OperatingSystem { get; init; }

    /// <summary>The processor architecture, e.g. "X64".</summary>
    public required string Architecture { get; init; }

    /// <summary>The CPU model when the OS tells it (Linux: /proc/cpuinfo), else null.</summary>
    public string? CpuModel { get; init; }

    /// <summary>Logical processors.</summary>
    public required int ProcessorCount { get; init; }

    /// <summary>The widest SIMD instruction sets .NET can use here, e.g. "AVX2, AVX-512F".</summary>
    public required string Simd { get; init; }

    /// <summary>The GPU used for training, when the caller knows it (the registry itself cannot ask); null for none.</summary>
    public string? Gpu { get; init; }

    /// <summary>The run's random seed, when known.</summary>
    public int? Seed { get; init; }

    /// <summary>The host's name.</summary>
    public required string MachineName { get; init; }

    private static readonly string[] PackagePrefixes = ["Microsoft.ML", "MlNetDeep", "TorchSharp", "Microsoft.ML.OnnxRuntime"];

    /// <summary>Describes the current process.</summary>
    /// <param name="seed">The seed of the run, when known.</param>
    /// <param name="gpu">The GPU the run used, when any.</param>
    public static EnvironmentInfo Capture(int? seed = null, string? gpu = null) => new()
    {
        Packages = AppDomain.CurrentDomain.GetAssemblies()
            .Select(a => a.GetName())
            .Where(n => n.Name is { } name && PackagePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            .GroupBy(n => n.Name!)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => InformationalVersion(g.Key) ?? g.First().Version?.ToString() ?? "unknown"),
        Runtime = RuntimeInformation.FrameworkDescription,
        OperatingSystem = RuntimeInformation.OSDescription,
        Architecture = RuntimeInformation.ProcessArchitecture.ToString(),
        CpuModel = CpuModelName(),
        ProcessorCount = System.Environment.ProcessorCount,
        Simd = Avx512F.IsSupported ? "AVX2, AVX-512F" : Avx2.IsSupported ? "AVX2" : System.Numerics.Vector.IsHardwareAccelerated ? "SIMD" : "none",
        Gpu = gpu,
        Seed = seed,
        MachineName = System.Environment.MachineName,
    };

    private static string? InformationalVersion(string assemblyName)
    {
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == assemblyName);
        var version = assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return version?.Split('+')[0];
    }

    private static string? CpuModelName()
    {
        try
        {
            return File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
