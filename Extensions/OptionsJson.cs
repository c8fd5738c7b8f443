using System.Text.Json;

namespace MlNetDeep;

/// <summary>Reads options written by their <c>ToJson</c>: a clear error for JSON that is not options of the type.</summary>
internal static class OptionsJson
{
    public static TOptions Read<TOptions>(string json, JsonSerializerOptions settings) where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(json);
        TOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<TOptions>(json, settings);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The JSON is not valid {typeof(TOptions).Name}: {e.Message}", nameof(json), e);
        }
        return options ?? throw new ArgumentException($"The JSON holds null, not {typeof(TOptions).Name}.", nameof(json));
    }
}
