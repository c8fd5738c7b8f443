using System.Runtime.InteropServices;

namespace MlNetDeep;

/// <summary>
/// Process-wide settings that MlNetDeep never makes on its own: an application that trains may opt in once at start-up.
/// </summary>
public static class MlNetDeepRuntime
{
    private const int TrimThreshold = -1;
    private const int MmapThreshold = -3;

    /// <summary>
    /// Makes glibc's malloc keep freed memory for reuse (<c>M_MMAP_THRESHOLD</c> 32 MiB, <c>M_TRIM_THRESHOLD</c> maximum,
    /// as the variables <c>MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=2147483647</c> would). With glibc's
    /// defaults the activations libtorch allocates and frees every batch cost page faults, and convolutional training runs
    /// up to several times slower; with these settings the process keeps its peak native memory instead of returning it.
    /// Affects the whole process; call it before training. Does nothing and returns false where the C library is not glibc
    /// (Windows, macOS, musl) or when either variable is already set (the user's choice stands).
    /// </summary>
    /// <returns>Whether the settings were applied.</returns>
    public static bool TuneNativeAllocator()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null
            || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null)
            return false;
        try
        {
            return mallopt(TrimThreshold, int.MaxValue) == 1 && mallopt(MmapThreshold, 32 << 20) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
