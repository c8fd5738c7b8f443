using System.CommandLine;
using System.Globalization;
using MlNetDeep.Registry;

namespace MlNetDeep.Models;

/// <summary>models compare MODEL V1 V2 [V3…]</summary>
internal static class CompareCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Argument<string>("model") { Description = "The model." };
        var versions = new Argument<string[]>("versions") { Description = "Two or more version numbers or aliases.", Arity = new ArgumentArity(2, 16) };
        var command = new Command("compare", "Compare versions of a model: every metric side by side, and every hyperparameter, data, pipeline and environment value that differs.")
        {
            model, versions,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(model)!;
            RegistryNames.ValidateModelName(name, "model");
            var selectors = parse.GetValue(versions)!.Select(VersionSelector.Parse).ToArray();
            await using var registry = await ModelsCommand.OpenAsync(parse, readOnly: true, cancellationToken);
            var comparison = await registry.CompareAsync(name, selectors, cancellationToken);
            if (parse.GetValue(ModelsCommand.Json))
            {
                await ModelsCommand.WriteJsonAsync(output, comparison);
                return ExitCodes.Success;
            }
            var headers = comparison.Versions.Select(v => $"v{v.Version.ToString(CultureInfo.InvariantCulture)}").ToArray();
            if (comparison.Metrics.Count > 0)
            {
                var metrics = new TextTable(["METRIC", .. headers, "CHANGE"]).AlignRight([.. Enumerable.Range(1, headers.Length + 1)]);
                foreach (var metric in comparison.Metrics)
                {
                    metrics.Add([metric.Name, .. metric.Values.Select(v => v is { } x ? ModelsCommand.Number(x) : "-"),
                        metric.Change is { } change ? ModelsCommand.Signed(change) : "-"]);
                }
                metrics.WriteTo(output);
            }
            else
                output.WriteLine("No metrics recorded.");
            output.WriteLine();
            if (comparison.Differences.Count == 0)
            {
                output.WriteLine("Hyperparameters, pipeline, data, environment, lineage and tags are the same.");
                return ExitCodes.Success;
            }
            var differences = new TextTable(["DIFFERS", .. headers]);
            foreach (var difference in comparison.Differences)
                differences.Add([difference.Name, .. difference.Values.Select(v => v ?? "-")]);
            differences.WriteTo(output);
            return ExitCodes.Success;
        });
        return command;
    }
}
