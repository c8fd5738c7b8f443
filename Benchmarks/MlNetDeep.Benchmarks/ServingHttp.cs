using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MlNetDeep.Benchmarks;

/// <summary>One wrk run against the Web API.</summary>
internal sealed record WrkRun(
    string Model, bool DynamicBatching, int Connections, int Threads, double Seconds, long Requests, double RequestsPerSecond,
    double P50Milliseconds, double P75Milliseconds, double P90Milliseconds, double P99Milliseconds, long Errors, string ErrorDetail,
    double ServerResidentMiBBefore, double ServerResidentMiBAfter, double ServerCpuCores, double? OtherProcessesCores);

/// <summary>Server resident memory (VmRSS) after each chunk of a long wrk run.</summary>
internal sealed record MemoryRun(string Model, bool DynamicBatching, int Connections, long[] Requests, double[] ResidentMiB,
    double ResidentMiBAfterFirst100k, double ResidentMiBAtEnd, double Ratio, long Errors, bool TargetMet);

/// <summary>Reloads (the served file replaced by rename) while wrk keeps the Web API busy.</summary>
internal sealed record ReloadRun(string Model, int Connections, int Reloads, int ReloadsReported, double[] SecondsUntilNewVersion, long Requests, long Errors, string ErrorDetail, bool TargetMet);

/// <summary>The Web API sample in a process of its own, at a free loopback port.</summary>
internal sealed class WebApiProcess : IDisposable
{
    private readonly Process process;

    private WebApiProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int ProcessId => process.Id;

    public static WebApiProcess Start(string modelPath, bool batching, string batchingArguments)
    {
        var dll = Path.Combine(ProjectFolders.WebApi, "WebApi.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"The Web API is not built at {dll}; build the benchmark program in the same configuration.", dll);
        var port = FreePort();
        var arguments = $"\"{dll}\" --urls http://127.0.0.1:{port} --Model:Path=\"{modelPath}\" --Batching:Enabled={batching} {batchingArguments} --Logging:LogLevel:Default=Warning";
        var info = new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = ProjectFolders.WebApi, RedirectStandardOutput = true, RedirectStandardError = true };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [web api] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new WebApiProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The Web API exited with code {process.ExitCode} while starting.");
            try
            {
                if (client.GetAsync(new Uri(server.Address, "/health")).Result.IsSuccessStatusCode)
                    return server;
            }
            catch (AggregateException)
            {
                // Not listening yet.
            }
            Thread.Sleep(100);
        }
        server.Dispose();
        throw new TimeoutException("The Web API did not answer /health within 60 s.");
    }

    /// <summary>Resident memory of the server (VmRSS), MiB.</summary>
    public double ResidentMiB()
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return Statistics.Round(long.Parse(line.Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0);
    }

    /// <summary>CPU seconds the server has used (utime + stime).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public JsonElement Health()
    {
        using var client = new HttpClient();
        return JsonDocument.Parse(client.GetStringAsync(new Uri(Address, "/health")).Result).RootElement.Clone();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Runs wrk (Debian package <c>wrk</c>) with a POST body and reads its summary.</summary>
internal static partial class Wrk
{
    public sealed record Result(long Requests, double Seconds, double RequestsPerSecond, double P50, double P75, double P90, double P99, long Errors, string ErrorDetail);

    public static Result Run(Uri address, string path, string bodyFile, int connections, double seconds)
    {
        var script = Path.Combine(Path.GetTempPath(), $"mlnetdeep-wrk-{Environment.ProcessId}.lua");
        File.WriteAllText(script, $"""
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            local f = io.open("{bodyFile}", "rb")
            wrk.body = f:read("*all")
            f:close()
            """);
        var threads = Math.Min(connections, 2);
        var info = new ProcessStartInfo("wrk", $"-t{threads} -c{connections} -d{seconds.ToString(CultureInfo.InvariantCulture)}s --latency -s \"{script}\" {new Uri(address, path)}")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("wrk is not installed: apt-get install -y wrk", e);
        }
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.Dispose();
        if (RequestsLine().Match(output) is not { Success: true } requests)
            throw new InvalidOperationException($"Unexpected wrk output:\n{output}");
        long socketErrors = 0;
        var errorDetail = "";
        if (SocketErrors().Match(output) is { Success: true } socket)
        {
            socketErrors = Enumerable.Range(1, 4).Sum(g => long.Parse(socket.Groups[g].Value, CultureInfo.InvariantCulture));
            errorDetail = socket.Value;
        }
        var non2xx = NonSuccess().Match(output) is { Success: true } bad ? long.Parse(bad.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (non2xx > 0)
            errorDetail = $"{errorDetail} non-2xx: {non2xx}".Trim();
        return new Result(
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            Statistics.Round(Duration(requests.Groups[2].Value)),
            Statistics.Round(double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture)),
            Percentile(output, "50"), Percentile(output, "75"), Percentile(output, "90"), Percentile(output, "99"),
            socketErrors + non2xx, errorDetail);
    }

    /// <summary>A latency percentile of wrk's distribution, in milliseconds.</summary>
    private static double Percentile(string output, string percent)
    {
        var match = Regex.Match(output, $@"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline);
        return Statistics.Round(Duration(match.Groups[1].Value + match.Groups[2].Value) * 1000);
    }

    /// <summary>"612.00us", "1.23ms", "60.00s", "1.00m" → seconds.</summary>
    private static double Duration(string text)
    {
        var unit = DurationUnit().Match(text);
        var value = double.Parse(unit.Groups[1].Value, CultureInfo.InvariantCulture);
        return unit.Groups[2].Value switch { "us" => value / 1e6, "ms" => value / 1e3, "m" => value * 60, "h" => value * 3600, _ => value };
    }

    [GeneratedRegex(@"(\d+) requests in ([\d.]+\w+)")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^([\d.]+)(us|ms|s|m|h)$")]
    private static partial Regex DurationUnit();
}
