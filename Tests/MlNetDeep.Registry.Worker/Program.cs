using System.Globalization;
using System.Security.Cryptography;
using MlNetDeep.Registry;
using MlNetDeep.Registry.PostgreSql;
using MlNetDeep.Registry.Sqlite;

// Usage: MlNetDeep.Registry.Worker (--sqlite FOLDER | --postgres CONNECTION --artifacts FOLDER) --model NAME --model-file PATH
//            [--count N (0: until killed)] [--payload-bytes N] [--worker ID]
// Registers versions of one model, each with the model file and a payload of fresh random bytes, and prints
// "registered <version>" after each commit, so a parent process knows what must survive a kill.
string? sqlite = null, postgres = null, artifacts = null, model = null, modelFile = null, worker = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
int count = 1, payloadBytes = 1 << 20;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    var value = args[i + 1];
    switch (args[i])
    {
        case "--sqlite": sqlite = value; break;
        case "--postgres": postgres = value; break;
        case "--artifacts": artifacts = value; break;
        case "--model": model = value; break;
        case "--model-file": modelFile = value; break;
        case "--count": count = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--payload-bytes": payloadBytes = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--worker": worker = value; break;
        default:
            Console.Error.WriteLine($"Unknown option {args[i]}.");
            return 2;
    }
}
if (model is null || modelFile is null || (sqlite is null && (postgres is null || artifacts is null)))
{
    Console.Error.WriteLine("Needs --model, --model-file and either --sqlite FOLDER or --postgres CONNECTION --artifacts FOLDER.");
    return 2;
}

await using var registry = sqlite is not null ? await SqliteRegistry.OpenAsync(sqlite) : await PostgreSqlRegistry.OpenAsync(postgres!, artifacts!);
var payloadPath = Path.Combine(Path.GetTempPath(), $"registry-worker-{Environment.ProcessId}.bin");
var payload = new byte[payloadBytes];
try
{
    for (var n = 1; count == 0 || n <= count; n++)
    {
        RandomNumberGenerator.Fill(payload);
        await File.WriteAllBytesAsync(payloadPath, payload);
        var details = new ModelVersionDetails { Description = $"worker {worker}, registration {n}" };
        details.Files["payload.bin"] = payloadPath;
        details.Tags["worker"] = worker;
        details.Metrics.Add("registration", n);
        var version = await registry.RegisterFileAsync(model, modelFile, details);
        Console.WriteLine($"registered {version.Version}");
    }
    return 0;
}
finally
{
    File.Delete(payloadPath);
}
