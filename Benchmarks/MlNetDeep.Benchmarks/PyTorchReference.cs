using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MlNetDeep.Benchmarks;

/// <summary>What one run of the PyTorch script measured.</summary>
internal sealed record PyTorchRun(string Framework, double[] EpochSeconds, double[] TrainLosses, double TestAccuracy);

/// <summary>How the PyTorch reference ran, or why it did not.</summary>
/// <param name="SkippedBecause">Null when PyTorch ran; otherwise what was missing.</param>
/// <param name="Environment">Variables set for the script: the allocator settings MlNetDeep applies to its own process.</param>
internal sealed record PyTorchSetup(string Python, string Script, string? Framework, string? SkippedBecause, Dictionary<string, string> Environment);

/// <summary>
/// Benchmarks/pytorch/cnn_fashion_mnist.py run by Debian's python3-torch as a child process. The child gets glibc's
/// environment variables for the malloc settings that MlNetDeep's runtime applies to its own process with mallopt, so
/// both frameworks run with the same allocator; when those settings are off for MlNetDeep, they are off for PyTorch too.
/// </summary>
internal sealed class PyTorchReference
{
    public const string Python = "/usr/bin/python3";

    private PyTorchReference(PyTorchSetup setup) => Setup = setup;

    public PyTorchSetup Setup { get; }

    public bool Available => Setup.SkippedBecause is null;

    /// <summary>Finds the interpreter, the script and the torch module; records why not instead of failing.</summary>
    public static PyTorchReference Locate()
    {
        var script = Path.Combine(ProjectFolders.PyTorch, "cnn_fashion_mnist.py");
        var environment = AllocatorEnvironment();
        if (!File.Exists(Python))
            return new(new(Python, script, null, $"{Python} is missing (apt-get install python3-torch)", environment));
        if (!File.Exists(script))
            return new(new(Python, script, null, $"the script {script} is missing", environment));
        var (exitCode, output, error) = Execute(["-c", "import torch; print(torch.__version__)"], environment);
        return exitCode == 0
            ? new(new(Python, script, $"PyTorch {output.Trim()}", null, environment))
            : new(new(Python, script, null, $"{Python} cannot import torch (apt-get install python3-torch): {LastLine(error)}", environment));
    }

    /// <summary>Trains the script's network for <paramref name="epochs"/> epochs on the first <paramref name="rows"/> training rows (null: all).</summary>
    public PyTorchRun Train(int epochs, int? rows, CnnBenchmarkSettings settings)
    {
        string[] arguments =
        [
            Setup.Script, FashionMnist.Folder,
            "--epochs", Invariant(epochs),
            "--batch-size", Invariant(settings.BatchSize),
            "--threads", Invariant(settings.Threads),
            "--seed", Invariant(settings.Seed),
            "--train-rows", Invariant(rows ?? 0),
        ];
        var (exitCode, output, error) = Execute(arguments, Setup.Environment);
        if (exitCode != 0)
            throw new InvalidOperationException($"The PyTorch script failed with exit code {exitCode}: {LastLine(error)}");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        return new PyTorchRun(
            root.GetProperty("framework").GetString()!,
            root.GetProperty("epochSeconds").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            root.GetProperty("trainLosses").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            root.GetProperty("testAccuracy").GetDouble());
    }

    /// <summary>The variables that give the child the malloc settings <see cref="MlNetDeepRuntime.TuneNativeAllocator"/> gives this process.</summary>
    private static Dictionary<string, string> AllocatorEnvironment()
    {
        // Set by the user: the child inherits them as they are, like this process, where TuneNativeAllocator then leaves malloc alone.
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null)
            return [];
        return new()
        {
            ["MALLOC_MMAP_THRESHOLD_"] = Invariant(32 << 20),
            ["MALLOC_TRIM_THRESHOLD_"] = Invariant(int.MaxValue),
        };
    }

    private static (int ExitCode, string Output, string Error) Execute(IEnumerable<string> arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
        // Read stderr concurrently: a full pipe would block the child.
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "(no message)";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
