using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MlNetDeep.Search.Orleans.Tests;

[TestClass]
public sealed class WorkerProcessTests
{
    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task TwoWorkerProcessesOnLoopbackShareOneSearch()
    {
        var folder = ClusterData.TemporaryFolder();
        var train = ClusterData.WriteBlobs(folder, 300, seed: 2);
        int[] ports = [FreePort(), FreePort(), FreePort(), FreePort()];
        string[] plan = ["--folder", folder, "--train", train, "--trials", "6", "--epochs-per-trial", "2", "--scheduler", "none", "--seed", "3", "--lease-seconds", "5"];
        var processes = new List<Process>();
        try
        {
            processes.Add(await StartWorker([.. plan, "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}"]));
            processes.Add(await StartWorker([.. plan, "--silo-port", $"{ports[2]}", "--gateway-port", $"{ports[3]}", "--primary-port", $"{ports[0]}"]));

            using var client = Host.CreateDefaultBuilder()
                .UseOrleansClient(c => c.UseLocalhostClustering([ports[1], ports[3]]))
                .Build();
            await client.StartAsync();
            var status = await client.Services.GetRequiredService<IGrainFactory>().WaitForSearchAsync("search", TimeSpan.FromMilliseconds(300));
            await client.StopAsync();

            Assert.HasCount(6, status.Trials);
            Assert.IsTrue(status.Trials.All(t => t.State == "Completed"), string.Join("; ", status.Trials.Select(t => $"{t.Number} {t.State} {t.Error}")));
            Assert.IsTrue(status.Trials.Any(t => t.Worker!.Contains($":{ports[0]}:", StringComparison.Ordinal)), "the primary process ran trials");
            Assert.IsTrue(status.Trials.Any(t => t.Worker!.Contains($":{ports[2]}:", StringComparison.Ordinal)), "the second process ran trials");
        }
        finally
        {
            foreach (var process in processes)
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                process.Dispose();
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Starts the worker program and waits until its silo is up.</summary>
    private static async Task<Process> StartWorker(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(WorkerAssembly());
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("worker silo on", StringComparison.Ordinal) == true)
                ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>The worker program built beside this test (same configuration).</summary>
    private static string WorkerAssembly()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "MlNetDeep.sln")))
            directory = directory.Parent;
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(directory!.FullName, "Tools", "MlNetDeep.SearchWorker", "bin", configuration, "net10.0", "MlNetDeep.SearchWorker.dll");
        Assert.IsTrue(File.Exists(path), $"build the worker first: {path}");
        return path;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
