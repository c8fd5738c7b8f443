using System.CommandLine;
using MlNetDeep.Registry;

namespace MlNetDeep.Models;

/// <summary>models export MODEL[@VERSION|@ALIAS] --out FOLDER [--force]</summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter output)
    {
        var reference = new Argument<string>("version") { Description = "MODEL, MODEL@NUMBER or MODEL@ALIAS." };
        var folder = new Option<string>("--out", "-o") { Description = "The folder to write model.zip, the other files and version.json to.", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite files of the same names." };
        var command = new Command("export", "Write a version's files (each checked against its SHA-256) and its metadata (version.json) to a folder.")
        {
            reference, folder, force,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (name, selector) = VersionSelector.ParseReference(parse.GetValue(reference)!);
            await using var registry = await ModelsCommand.OpenAsync(parse, readOnly: true, cancellationToken);
            var written = await registry.ExportAsync(name, selector, parse.GetValue(folder)!, parse.GetValue(force), cancellationToken);
            if (parse.GetValue(ModelsCommand.Json))
                await ModelsCommand.WriteJsonAsync(output, written);
            else
            {
                foreach (var path in written)
                    await output.WriteLineAsync(path);
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
