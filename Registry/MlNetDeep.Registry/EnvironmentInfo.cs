using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Registry;

/// <summary>Where a version was trained or registered: packages, runtime, OS, hardware, seed.</summary>
public sealed record EnvironmentInfo
{
    /// <summary>
    /// Versions of the ML assemblies the process uses (Microsoft.ML*, MlNetDeep*, TorchSharp, ONNX Runtime): those loaded
    /// and those they reference, so the list does not depend on what happened to be loaded first.
    /// </summary>
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
        Packages = MlAssemblies(),
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

    private static bool IsMlAssembly(AssemblyName name) => name.Name is { } n && PackagePrefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal));

    /// <summary>The ML assemblies loaded, and the ML assemblies any loaded assembly references (loaded to read their versions).</summary>
    private static SortedDictionary<string, string> MlAssemblies()
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>(AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic));
        var seen = new HashSet<string>(pending.Select(a => a.GetName().Name ?? ""), StringComparer.Ordinal);
        while (pending.TryDequeue(out var assembly))
        {
            var name = assembly.GetName();
            if (IsMlAssembly(name))
                found[name.Name!] = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? name.Version?.ToString() ?? "unknown";
            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => IsMlAssembly(r) && seen.Add(r.Name!)))
            {
                try
                {
                    pending.Enqueue(Assembly.Load(reference));
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    found[reference.Name!] = reference.Version?.ToString() ?? "unknown";
                }
            }
        }
        return found;
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
