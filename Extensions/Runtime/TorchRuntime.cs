using System.Runtime.InteropServices;
using TorchSharp;

namespace MlNetDeep.Runtime;

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
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
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
