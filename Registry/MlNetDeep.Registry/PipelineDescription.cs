using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Registry;

/// <summary>One step of a fitted pipeline.</summary>
/// <param name="Type">The transformer's type, e.g. <c>ValueToKeyMappingTransformer</c> or <c>MulticlassPredictionTransformer&lt;MaximumEntropyModelParameters&gt;</c>.</param>
/// <param name="Settings">The transformer's public settings that could be read and are small (ML.NET keeps most of them internal), as JSON.</param>
/// <param name="OutputColumns">The columns the step writes (new, or replacing a column of the same name), as "name: type", when the input schema was known.</param>
public sealed record PipelineStep(string Type, JsonObject Settings, IReadOnlyList<string> OutputColumns);

/// <summary>The steps of a fitted ML.NET pipeline, in order (nested transformer chains flattened).</summary>
public sealed record PipelineDescription(IReadOnlyList<PipelineStep> Steps)
{
    private const int MaximumSettingLength = 4096;

    /// <summary>
    /// Describes <paramref name="model"/>: each step's type, its readable public settings, and, with
    /// <paramref name="inputSchema"/>, the columns each step produces.
    /// </summary>
    public static PipelineDescription Describe(ITransformer model, DataViewSchema? inputSchema = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var steps = new List<PipelineStep>();
        var schema = inputSchema;
        foreach (var step in Flatten(model))
        {
            var outputs = new List<string>();
            if (schema is not null)
            {
                DataViewSchema? output = null;
                try
                {
                    output = step.GetOutputSchema(schema);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // A step that rejects the schema leaves the remaining steps without known inputs.
                }
                if (output is not null)
                {
                    // A step that writes a column hides the column of that name it read, so writing adds one more column of the name.
                    var input = schema;
                    outputs.AddRange(output.Where(c => !c.IsHidden && output.Count(o => o.Name == c.Name) > input.Count(i => i.Name == c.Name))
                        .Select(c => $"{c.Name}: {c.Type}"));
                }
                schema = output;
            }
            steps.Add(new PipelineStep(TypeName(step.GetType()), Settings(step), outputs));
        }
        return new PipelineDescription(steps);
    }

    /// <summary>A readable type name: generic arguments written out, namespaces left out.</summary>
    internal static string TypeName(Type type)
    {
        if (!type.IsGenericType)
            return type.Name;
        var name = type.Name[..type.Name.IndexOf('`')];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>";
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model)
    {
        if (model is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
                foreach (var step in Flatten(inner))
                    yield return step;
        }
        else
            yield return model;
    }

    private static JsonObject Settings(ITransformer step)
    {
        var settings = new JsonObject();
        foreach (var property in step.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.Name == nameof(ITransformer.IsRowToRowMapper))
                continue;
            try
            {
                var value = property.GetValue(step);
                if (value is null or ITransformer or IDataView)
                    continue;
                var json = JsonSerializer.Serialize(value, value.GetType(), HyperparameterJson.SerializerOptions);
                settings[property.Name] = json.Length <= MaximumSettingLength
                    ? JsonNode.Parse(json)
                    : $"{TypeName(value.GetType())} ({json.Length} characters of JSON, not recorded)";
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Settings are best effort: a property whose getter throws or that cannot be written as JSON is left out.
            }
        }
        return settings;
    }
}
