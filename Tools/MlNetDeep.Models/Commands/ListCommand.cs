using System.CommandLine;
using MlNetDeep.Registry;

namespace MlNetDeep.Models;

/// <summary>models list [MODEL] [--tag K[=V]]… [--sort METRIC [--ascending]] [--metric NAME]… [--all] [--limit N]</summary>
internal static class ListCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Argument<string?>("model") { Description = "List this model's versions; without it, list the models.", Arity = ArgumentArity.ZeroOrOne };
        var tags = new Option<string[]>("--tag") { Description = "Only versions with this tag (KEY, or KEY=VALUE); repeatable.", AllowMultipleArgumentsPerToken = false };
        var sort = new Option<string?>("--sort") { Description = "Order by this metric, highest first (versions without it are left out)." };
        var ascending = new Option<bool>("--ascending") { Description = "With --sort: lowest first (losses, errors)." };
        var metrics = new Option<string[]>("--metric") { Description = "Show this metric as a column; repeatable." };
        var all = new Option<bool>("--all") { Description = "Include archived and deleted versions." };
        var limit = new Option<int>("--limit") { Description = "Show at most this many versions.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List models, or the versions of one model, with their aliases, tags and chosen metrics.")
        {
            model, tags, sort, ascending, metrics, all, limit,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(model);
            if (name is not null)
                RegistryNames.ValidateModelName(name, "model");
            await using var registry = await ModelsCommand.OpenAsync(parse, readOnly: true, cancellationToken);
            var json = parse.GetValue(ModelsCommand.Json);
            var tagFilters = parse.GetValue(tags) ?? [];
            if (name is null && tagFilters.Length == 0 && parse.GetValue(sort) is null)
            {
                var models = await registry.ListModelsAsync(cancellationToken);
                if (json)
                    await ModelsCommand.WriteJsonAsync(output, models);
                else
                    WriteModels(output, models);
                return ExitCodes.Success;
            }

            var query = new VersionQuery
            {
                ModelName = name,
                OrderByMetric = parse.GetValue(sort),
                HighestFirst = !parse.GetValue(ascending),
                IncludeArchived = parse.GetValue(all),
                IncludeDeleted = parse.GetValue(all),
                Limit = parse.GetValue(limit),
            };
            foreach (var tag in tagFilters)
            {
                var equals = tag.IndexOf('=');
                query.Tags[equals < 0 ? tag : tag[..equals]] = equals < 0 ? null : tag[(equals + 1)..];
            }
            foreach (var metric in parse.GetValue(metrics) ?? [])
                query.IncludeMetrics.Add(metric);
            if (name is not null)
                await registry.GetModelAsync(name, cancellationToken);
            var versions = await registry.SearchAsync(query, cancellationToken);
            if (json)
                await ModelsCommand.WriteJsonAsync(output, versions);
            else
                WriteVersions(output, versions, query, name is null);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteModels(TextWriter output, IReadOnlyList<RegisteredModel> models)
    {
        if (models.Count == 0)
        {
            output.WriteLine("The registry has no models.");
            return;
        }
        var table = new TextTable("MODEL", "LATEST", "VERSIONS", "ALIASES", "UPDATED (UTC)").AlignRight(1, 2);
        foreach (var model in models)
        {
            table.Add(model.Name, model.LatestVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                model.ActiveVersions.ToString(System.Globalization.CultureInfo.InvariantCulture),
                string.Join(", ", model.Aliases.Select(a => $"{a.Key}→{a.Value}")), ModelsCommand.Time(model.UpdatedAt));
        }
        table.WriteTo(output);
    }

    private static void WriteVersions(TextWriter output, IReadOnlyList<ModelVersionSummary> versions, VersionQuery query, bool showModel)
    {
        if (versions.Count == 0)
        {
            output.WriteLine("No versions match.");
            return;
        }
        var metricNames = (query.OrderByMetric is null ? [] : new[] { query.OrderByMetric }).Concat(query.IncludeMetrics).Distinct().ToArray();
        var headers = new List<string>();
        if (showModel)
            headers.Add("MODEL");
        headers.AddRange(["VERSION", "STATUS", "REGISTERED (UTC)", "BY", "ALIASES", "TAGS"]);
        headers.AddRange(metricNames);
        headers.Add("DESCRIPTION");
        var table = new TextTable([.. headers]).AlignRight([.. Enumerable.Range(showModel ? 1 : 0, 1), .. Enumerable.Range(headers.Count - 1 - metricNames.Length, metricNames.Length)]);
        foreach (var version in versions)
        {
            var cells = new List<string?>();
            if (showModel)
                cells.Add(version.ModelName);
            cells.AddRange([version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), version.Status.ToString().ToLowerInvariant(),
                ModelsCommand.Time(version.RegisteredAt), version.RegisteredBy, string.Join(", ", version.Aliases), ModelsCommand.Tags(version.Tags)]);
            cells.AddRange(metricNames.Select(m => version.Metrics.TryGetValue(m, out var value) ? ModelsCommand.Number(value) : "-"));
            cells.Add(version.Description);
            table.Add([.. cells]);
        }
        table.WriteTo(output);
        if (query.Limit is { } limit && versions.Count == limit)
            output.WriteLine($"(first {limit}; --limit N shows more)");
    }
}
