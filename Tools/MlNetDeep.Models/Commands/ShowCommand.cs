using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MlNetDeep.Registry;

namespace MlNetDeep.Models;

/// <summary>models show MODEL[@VERSION|@ALIAS]</summary>
internal static class ShowCommand
{
    public static Command Create(TextWriter output)
    {
        var reference = new Argument<string>("version") { Description = "MODEL, MODEL@NUMBER or MODEL@ALIAS (MODEL alone: the newest active version)." };
        var command = new Command("show", "Show everything recorded about a version: metrics, hyperparameters, pipeline, data, environment, lineage, history, files, alias moves.")
        {
            reference,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (name, selector) = VersionSelector.ParseReference(parse.GetValue(reference)!);
            await using var registry = await ModelsCommand.OpenAsync(parse, readOnly: true, cancellationToken);
            var version = await registry.GetVersionAsync(name, selector, cancellationToken);
            var aliasMoves = (await registry.GetAliasHistoryAsync(name, cancellationToken: cancellationToken))
                .Where(c => c.FromVersion == version.Version || c.ToVersion == version.Version).ToArray();
            if (parse.GetValue(ModelsCommand.Json))
            {
                await ModelsCommand.WriteJsonAsync(output, new { version, aliasMoves });
                return ExitCodes.Success;
            }
            Write(output, version, aliasMoves);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Write(TextWriter output, ModelVersion version, IReadOnlyList<AliasChange> aliasMoves)
    {
        output.WriteLine($"{version.Reference}  ({version.Status.ToString().ToLowerInvariant()})");
        Field(output, "Registered", $"{ModelsCommand.Time(version.RegisteredAt)} UTC by {version.RegisteredBy}");
        Field(output, "Description", version.Description);
        Field(output, "Aliases", string.Join(", ", version.Aliases));
        Field(output, "Tags", ModelsCommand.Tags(version.Tags));
        if (version.Lineage is { } lineage)
            Field(output, "Lineage", $"{lineage.Kind} from {lineage.Parent}" + (lineage.Teacher is { } teacher ? $", teacher {teacher}" : ""));
        Field(output, "Run", version.RunId?.ToString());

        if (version.Metrics.Count > 0)
        {
            output.WriteLine();
            var metrics = new TextTable("METRIC", "VALUE").AlignRight(1);
            foreach (var (name, value) in version.Metrics)
                metrics.Add(name, ModelsCommand.Number(value));
            metrics.WriteTo(output);
        }

        if (version.Hyperparameters is { Count: > 0 } hyperparameters)
        {
            output.WriteLine();
            output.WriteLine("Hyperparameters");
            foreach (var (path, value) in Leaves("", hyperparameters))
                output.WriteLine($"  {path} = {value}");
        }

        if (version.Pipeline is { Steps.Count: > 0 } pipeline)
        {
            output.WriteLine();
            var steps = new TextTable("STEP", "TRANSFORMER", "WRITES").AlignRight(0);
            for (var i = 0; i < pipeline.Steps.Count; i++)
                steps.Add((i + 1).ToString(CultureInfo.InvariantCulture), pipeline.Steps[i].Type, string.Join(", ", pipeline.Steps[i].OutputColumns));
            steps.WriteTo(output);
        }

        WriteData(output, "Training data", version.TrainingData);
        WriteData(output, "Evaluation data", version.EvaluationData);

        if (version.Environment is { } environment)
        {
            output.WriteLine();
            output.WriteLine("Environment");
            Field(output, "  Packages", string.Join(", ", environment.Packages.Select(p => $"{p.Key} {p.Value}")));
            Field(output, "  Runtime", $"{environment.Runtime} on {environment.OperatingSystem} ({environment.Architecture})");
            Field(output, "  CPU", $"{environment.CpuModel ?? "unknown"}, {environment.ProcessorCount} logical processors, {environment.Simd}");
            Field(output, "  GPU", environment.Gpu ?? "none");
            Field(output, "  Seed", environment.Seed?.ToString(CultureInfo.InvariantCulture));
        }

        if (version.History.Count > 0)
        {
            output.WriteLine();
            var columns = version.History.SelectMany(h => h.Where(p => p.Value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number).Select(p => p.Key))
                .Distinct().ToArray();
            var history = new TextTable([.. columns]).AlignRight([.. Enumerable.Range(0, columns.Length)]);
            foreach (var record in version.History)
                history.Add([.. columns.Select(c => record[c] is JsonValue v && v.TryGetValue<double>(out var x) ? ModelsCommand.Number(x) : "-")]);
            output.WriteLine("Training history");
            history.WriteTo(output);
        }

        output.WriteLine();
        var files = new TextTable("FILE", "SIZE", "SHA-256").AlignRight(1);
        foreach (var artifact in version.Artifacts)
            files.Add(artifact.Name, ModelsCommand.Size(artifact.Size), artifact.Sha256);
        files.WriteTo(output);

        if (aliasMoves.Count > 0)
        {
            output.WriteLine();
            var moves = new TextTable("ALIAS", "FROM", "TO", "BY", "AT (UTC)", "REASON");
            foreach (var move in aliasMoves)
            {
                moves.Add(move.Alias, move.FromVersion?.ToString(CultureInfo.InvariantCulture) ?? "-", move.ToVersion?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    move.Actor, ModelsCommand.Time(move.At), move.Reason);
            }
            moves.WriteTo(output);
        }
    }

    private static void WriteData(TextWriter output, string title, DataFingerprint? data)
    {
        if (data is null)
            return;
        output.WriteLine();
        output.WriteLine(title);
        Field(output, "  Rows", data.RowCount.ToString("N0", CultureInfo.InvariantCulture));
        Field(output, "  Columns", string.Join(", ", data.Schema.Select(c => $"{c.Name}: {c.Type}")));
        Field(output, "  SHA-256", data.ContentSha256 + (data.UnhashedColumns.Count > 0 ? $" (without {string.Join(", ", data.UnhashedColumns)})" : ""));
        Field(output, "  Source", data.Source);
    }

    private static void Field(TextWriter output, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
            output.WriteLine($"{name + ":",-14}{value}");
    }

    /// <summary>Hyperparameters as path = value lines; lists of plain values stay on one line.</summary>
    private static IEnumerable<(string Path, string Value)> Leaves(string path, JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => Leaves(path.Length == 0 ? p.Key : $"{path}.{p.Key}", p.Value)),
        JsonArray array when array.Any(i => i is JsonObject or JsonArray) => array.SelectMany((item, i) => Leaves($"{path}[{i}]", item)),
        _ => [(path, node?.ToJsonString(ModelsCommand.CompactJson) ?? "null")],
    };
}
