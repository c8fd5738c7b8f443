using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using MlNetDeep.Registry;
using MlNetDeep.Registry.PostgreSql;
using MlNetDeep.Registry.Sqlite;

namespace MlNetDeep.Models;

/// <summary>The `models` command tree: list, show, compare, promote, export, gc.</summary>
public static class ModelsCommand
{
    internal static readonly Option<string?> Registry = new("--registry", "-r")
    {
        Description = "The registry folder (SQLite registry.db and artifacts/). Default: $MODELS_REGISTRY.",
        Recursive = true,
    };

    internal static readonly Option<string?> Postgres = new("--postgres")
    {
        Description = "A PostgreSQL connection string, for a shared registry (with --artifacts). Default: $MODELS_POSTGRES.",
        Recursive = true,
    };

    internal static readonly Option<string?> Artifacts = new("--artifacts")
    {
        Description = "The artifact folder of a PostgreSQL registry. Default: $MODELS_ARTIFACTS.",
        Recursive = true,
    };

    internal static readonly Option<bool> Json = new("--json")
    {
        Description = "Write JSON instead of tables.",
        Recursive = true,
    };

    internal static readonly JsonSerializerOptions JsonOutput = CreateJsonOutput();

    internal static readonly JsonSerializerOptions CompactJson = new(JsonOutput) { WriteIndented = false };

    /// <summary>Parses <paramref name="args"/>, runs the command and returns its exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Lists, shows, compares, promotes, exports and garbage-collects model versions in an MlNetDeep model registry.\n" +
            "Exit codes: 0 done, 1 error, 2 invalid usage, 3 not found, 4 conflict, 5 permission denied, 6 integrity failure (a file changed after registration), 7 schema mismatch.")
        {
            ListCommand.Create(output),
            ShowCommand.Create(output),
            CompareCommand.Create(output),
            PromoteCommand.Create(output),
            ExportCommand.Create(output),
            GcCommand.Create(output),
        };
        root.Add(Registry);
        root.Add(Postgres);
        root.Add(Artifacts);
        root.Add(Json);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
                await error.WriteLineAsync(parseError.Message);
            await error.WriteLineAsync("Run 'models --help' for usage.");
            return ExitCodes.InvalidUsage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await error.WriteLineAsync(e is RegistryException or ArgumentException or FileNotFoundException or InvalidDataException ? e.Message : e.ToString());
            return ExitCodes.For(e);
        }
    }

    /// <summary>Opens the registry the global options (or the environment) name.</summary>
    internal static async Task<ModelRegistry> OpenAsync(ParseResult parse, bool readOnly, CancellationToken cancellationToken)
    {
        if ((parse.GetValue(Postgres) ?? Environment("MODELS_POSTGRES")) is { } connectionString)
        {
            var artifacts = parse.GetValue(Artifacts) ?? Environment("MODELS_ARTIFACTS")
                ?? throw new ArgumentException("--postgres needs --artifacts: the folder that holds the registry's files (or set MODELS_ARTIFACTS).");
            return await PostgreSqlRegistry.OpenAsync(connectionString, artifacts, cancellationToken);
        }
        var folder = parse.GetValue(Registry) ?? Environment("MODELS_REGISTRY")
            ?? throw new ArgumentException("Name the registry: --registry FOLDER (SQLite), or --postgres CONNECTION --artifacts FOLDER, or set MODELS_REGISTRY.");
        return await SqliteRegistry.OpenAsync(folder, readOnly, cancellationToken);
    }

    internal static async Task WriteJsonAsync<T>(TextWriter output, T value) =>
        await output.WriteLineAsync(JsonSerializer.Serialize(value, JsonOutput));

    internal static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    internal static string Signed(double value) => (value >= 0 ? "+" : "") + value.ToString("G4", CultureInfo.InvariantCulture);

    internal static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    internal static string Size(long bytes) => bytes switch
    {
        >= 1 << 20 => (bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1 << 10 => (bytes / (double)(1 << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    internal static string Tags(IReadOnlyDictionary<string, string> tags) =>
        string.Join(", ", tags.Select(t => t.Value.Length == 0 ? t.Key : $"{t.Key}={t.Value}"));

    private static string? Environment(string variable) =>
        System.Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    private static JsonSerializerOptions CreateJsonOutput()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        return options;
    }
}
