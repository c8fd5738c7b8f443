using System.Runtime.InteropServices;
using TorchSharp;

namespace MlNetDeep.Runtime;

/// <summary>Raised when TorchSharp's native libraries cannot be loaded; the message carries the native loader's own reason.</summary>
public sealed class TorchRuntimeException : Exception
{
    internal TorchRuntimeException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Loads TorchSharp's native backend once and turns a failed load into an error that says why.</summary>
internal static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure)
            throw failure;
    }

    private static Exception? TryLoad()
    {
        NativeAllocator.Tune();
        try
        {
            // TorchSharp prints its own long message to the console before throwing; keep the console clean.
            var console = Console.Out;
            Console.SetOut(TextWriter.Null);
            try { torch.InitializeDeviceType(DeviceType.CPU); }
            finally { Console.SetOut(console); }
            return null;
        }
        catch (Exception e)
        {
            return new TorchRuntimeException(
                "TorchSharp's native library could not be loaded. " + NativeLoaderReason() +
                " MlNetDeep needs a TorchSharp backend package next to TorchSharp (for example libtorch-cpu-linux-x64 2.10.0, " +
                "or TorchSharp-cuda-linux / TorchSharp-cuda-windows for a GPU). On Debian 12 / Ubuntu 22.04 the build output must carry " +
                "the libLibTorchSharp.so that MlNetDeep's build patches (see README, 'TorchSharp on Linux').", e);
        }
    }

    private static string NativeLoaderReason()
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load("LibTorchSharp", typeof(torch).Assembly, null));
            return "The native loader found LibTorchSharp but TorchSharp's initialisation failed.";
        }
        catch (Exception e)
        {
            // .NET lists every path it probed; the paths that exist but failed carry the real reason.
            var lines = e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var reasons = lines.Where(l => l.Contains(".so", StringComparison.Ordinal) && !l.EndsWith("No such file or directory", StringComparison.Ordinal)).ToArray();
            return reasons.Length > 0
                ? "The native loader says: " + string.Join(" ", reasons)
                : "The native loader found no LibTorchSharp library: " + e.Message.Trim();
        }
    }
}

/// <summary>
/// glibc's malloc returns freed memory to the system eagerly and serves mid-sized blocks with fresh mappings, so the
/// activations libtorch allocates and frees every batch cost page faults: convolutional training ran about 1.3 times
/// slower than PyTorch here until these two settings (the ones <c>MALLOC_MMAP_THRESHOLD_</c> and
/// <c>MALLOC_TRIM_THRESHOLD_</c> set) were made. They keep freed memory for reuse instead. Process-wide, Linux only,
/// left alone when those variables are set or <c>MLNETDEEP_TUNE_MALLOC=0</c>.
/// </summary>
internal static class NativeAllocator
{
    private const int TrimThreshold = -1;
    private const int MmapThreshold = -3;

    public static void Tune()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MLNETDEEP_TUNE_MALLOC") == "0"
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null)
            return;
        try
        {
            mallopt(TrimThreshold, int.MaxValue);
            mallopt(MmapThreshold, 32 << 20);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to tune.
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
