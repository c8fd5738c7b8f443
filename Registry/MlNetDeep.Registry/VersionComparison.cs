using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlNetDeep.Registry.Storage;

namespace MlNetDeep.Registry;

/// <summary>A metric across the compared versions (null where a version lacks it).</summary>
/// <param name="Name">The metric's name.</param>
/// <param name="Values">Its value in each version, in the order compared.</param>
public sealed record ComparedMetric(string Name, IReadOnlyList<double?> Values)
{
    /// <summary>The last version's value minus the first's, when both have it.</summary>
    public double? Change => Values[^1] is { } last && Values[0] is { } first ? last - first : null;
}

/// <summary>A recorded value that differs between the compared versions, as JSON text (null where a version lacks it).</summary>
/// <param name="Name">A path such as <c>hyperparameters.LearningRate</c>, <c>training_data.ContentSha256</c> or <c>environment.Packages.Microsoft.ML</c>.</param>
/// <param name="Values">Its value in each version, in the order compared.</param>
public sealed record ComparedSetting(string Name, IReadOnlyList<string?> Values);

/// <summary>Two or more versions side by side: all metrics, and every other recorded value that differs.</summary>
/// <param name="Versions">The versions, in the order compared.</param>
/// <param name="Metrics">Every metric any of them has, by name.</param>
/// <param name="Differences">Hyperparameters, pipeline, training and evaluation data, environment, lineage and tags that are not the same in all of them, by path.</param>
public sealed record VersionComparison(IReadOnlyList<VersionReference> Versions, IReadOnlyList<ComparedMetric> Metrics, IReadOnlyList<ComparedSetting> Differences)
{
    internal static VersionComparison Of(IReadOnlyList<ModelVersion> versions)
    {
        var metrics = versions.SelectMany(v => v.Metrics.Keys).Distinct().Order(StringComparer.Ordinal)
            .Select(name => new ComparedMetric(name, versions.Select(v => v.Metrics.TryGetValue(name, out var x) ? x : (double?)null).ToArray()))
            .ToArray();
        var flattened = versions.Select(Flatten).ToArray();
        var differences = flattened.SelectMany(f => f.Keys).Distinct().Order(StringComparer.Ordinal)
            .Select(path => new ComparedSetting(path, flattened.Select(f => f.GetValueOrDefault(path)).ToArray()))
            .Where(s => s.Values.Distinct().Count() > 1)
            .ToArray();
        return new VersionComparison(versions.Select(v => v.Reference).ToArray(), metrics, differences);
    }

    private static Dictionary<string, string?> Flatten(ModelVersion version)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        Add(values, "hyperparameters", version.Hyperparameters);
        Add(values, "pipeline", ToNode(version.Pipeline));
        Add(values, "training_data", ToNode(version.TrainingData));
        Add(values, "evaluation_data", ToNode(version.EvaluationData));
        Add(values, "environment", ToNode(version.Environment));
        Add(values, "lineage", ToNode(version.Lineage));
        foreach (var (key, value) in version.Tags)
            values[$"tags.{key}"] = value;
        return values;
    }

    private static JsonNode? ToNode<T>(T? value) where T : class =>
        value is null ? null : JsonSerializer.SerializeToNode(value, MetadataStore.StorageJson);

    /// <summary>Leaves of the JSON tree by path; arrays of plain values are one leaf, arrays of objects are indexed.</summary>
    private static void Add(Dictionary<string, string?> values, string path, JsonNode? node)
    {
        switch (node)
        {
            case null:
                return;
            case JsonObject obj:
                foreach (var (name, child) in obj)
                    Add(values, $"{path}.{name}", child);
                if (obj.Count == 0)
                    values[path] = "{}";
                return;
            case JsonArray array when array.Any(item => item is JsonObject or JsonArray):
                for (var i = 0; i < array.Count; i++)
                    Add(values, $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", array[i]);
                return;
            default:
                values[path] = node.ToJsonString();
                return;
        }
    }
}
