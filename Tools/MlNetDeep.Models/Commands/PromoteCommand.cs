using System.CommandLine;
using MlNetDeep.Registry;

namespace MlNetDeep.Models;

/// <summary>models promote MODEL VERSION --alias ALIAS [--reason TEXT] [--by NAME]</summary>
internal static class PromoteCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Argument<string>("model") { Description = "The model." };
        var version = new Argument<string>("version") { Description = "The version number (or an alias whose version to take)." };
        var alias = new Option<string>("--alias", "-a") { Description = "The alias to point at the version, e.g. production or staging.", Required = true };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit trail." };
        var actor = new Option<string?>("--by") { Description = "Who, for the audit trail. Default: the OS user." };
        var command = new Command("promote", "Point an alias (production, staging, …) at a version; the move is recorded with who, when, from which version and why.")
        {
            model, version, alias, reason, actor,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(model)!;
            RegistryNames.ValidateModelName(name, "model");
            var selector = VersionSelector.Parse(parse.GetValue(version)!);
            await using var registry = await ModelsCommand.OpenAsync(parse, readOnly: false, cancellationToken);
            if (parse.GetValue(actor) is { } by)
                registry.Actor = by;
            var number = selector.Number ?? (await registry.ResolveAsync(name, selector, cancellationToken)).Version;
            var change = await registry.SetAliasAsync(name, parse.GetValue(alias)!, number, parse.GetValue(reason), cancellationToken);
            if (parse.GetValue(ModelsCommand.Json))
                await ModelsCommand.WriteJsonAsync(output, change);
            else if (change.FromVersion == change.ToVersion)
                await output.WriteLineAsync($"{name}: {change.Alias} already points to version {number}.");
            else
                await output.WriteLineAsync($"{name}: {change.Alias} → version {change.ToVersion}{(change.FromVersion is { } from ? $" (was {from})" : " (new alias)")}, by {change.Actor}{(change.Reason is null ? "" : $": {change.Reason}")}");
            return ExitCodes.Success;
        });
        return command;
    }
}
