using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlNetDeep;

/// <summary>
/// The base of the compression options (pruning, sparse training, distillation): plain hyperparameters that round-trip
/// through JSON (<see cref="ToJson"/>, <see cref="FromJson{TOptions}"/>) like <see cref="DeepTrainerOptions"/>, validated
/// once with messages that name the option. Live objects (a teacher model) are passed beside them, never inside.
/// </summary>
public abstract class CompressionOptions
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The options as JSON, enums by name.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), Json);

    /// <summary>Options of type <typeparamref name="TOptions"/> read from <see cref="ToJson"/>'s JSON, then validated.</summary>
    /// <exception cref="ArgumentException">The JSON is not options of that type.</exception>
    public static TOptions FromJson<TOptions>(string json) where TOptions : CompressionOptions
    {
        var options = OptionsJson.Read<TOptions>(json, Json);
        options.Validate();
        return options;
    }

    /// <summary>Checks every option and throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    public abstract void Validate();

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="option"/> unless <paramref name="valid"/>.</summary>
    protected static void Require(bool valid, string option, object? value, string rule)
    {
        if (!valid)
            throw new ArgumentOutOfRangeException(option, value, $"Option {option} {rule} (got {value ?? "null"}).");
    }
}
