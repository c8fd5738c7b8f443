using System.Diagnostics;
using System.Globalization;

namespace MlNetDeep.Registry.Worker;

/// <summary>
/// Starts this program as a child process that registers versions, and reads back the version numbers it committed.
/// Used by the registry's process tests and its benchmark (kill-in-the-middle trials).
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process process;
    private readonly List<int> committed = [];
    private readonly TaskCompletionSource firstCommit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task stdout;
    private readonly Task<string> stderr;

    private WorkerProcess(Process process)
    {
        this.process = process;
        stdout = Task.Run(ReadOutputAsync);
        stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>This program's path, beside the assembly that references it.</summary>
    public static string ProgramPath { get; } = Path.Combine(AppContext.BaseDirectory, "MlNetDeep.Registry.Worker.dll");

    /// <summary>Starts a worker.</summary>
    /// <param name="registryArguments">"--sqlite FOLDER" or "--postgres CONNECTION --artifacts FOLDER".</param>
    /// <param name="model">The model to register versions of.</param>
    /// <param name="modelFile">An ML.NET model.zip.</param>
    /// <param name="count">Registrations to make; 0 for "until killed".</param>
    /// <param name="payloadBytes">Size of the random file registered with each version.</param>
    /// <param name="worker">The worker's tag value.</param>
    public static WorkerProcess Start(IEnumerable<string> registryArguments, string model, string modelFile, int count, int payloadBytes, string worker)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ProgramPath);
        foreach (var argument in registryArguments)
            start.ArgumentList.Add(argument);
        foreach (var argument in new[] { "--model", model, "--model-file", modelFile, "--count", count.ToString(CultureInfo.InvariantCulture),
            "--payload-bytes", payloadBytes.ToString(CultureInfo.InvariantCulture), "--worker", worker })
            start.ArgumentList.Add(argument);
        return new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ProgramPath}."));
    }

    /// <summary>The versions the worker reported as committed so far.</summary>
    public IReadOnlyList<int> Committed
    {
        get
        {
            lock (committed)
                return committed.ToArray();
        }
    }

    /// <summary>Completes when the worker reported its first committed version.</summary>
    public Task FirstCommit => firstCommit.Task;

    /// <summary>Kills the process with SIGKILL (no chance to clean up) and waits for it to end.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().ConfigureAwait(false);
        await stdout.ConfigureAwait(false);
    }

    /// <summary>Waits for the worker to exit; returns its exit code and its standard error.</summary>
    public async Task<(int ExitCode, string Errors)> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The worker did not finish within {timeout}.");
        }
        await stdout.ConfigureAwait(false);
        return (process.ExitCode, await stderr.ConfigureAwait(false));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        process.Dispose();
    }

    private async Task ReadOutputAsync()
    {
        while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith("registered ", StringComparison.Ordinal))
            {
                lock (committed)
                    committed.Add(int.Parse(line["registered ".Length..], CultureInfo.InvariantCulture));
                firstCommit.TrySetResult();
            }
        }
        firstCommit.TrySetException(new InvalidOperationException("The worker ended before committing a version."));
    }
}
