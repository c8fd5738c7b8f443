using System.Text.RegularExpressions;

namespace MlNetDeep.Registry;

/// <summary>
/// The rules for names the registry stores. Names never become paths (artifacts are stored by content hash), but
/// <c>models export</c> and scripts use them in file names, so nothing that could climb out of a folder gets in.
/// </summary>
public static partial class RegistryNames
{
    /// <summary>The alias every model has: its newest active version. It cannot be set.</summary>
    public const string Latest = "latest";

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="name"/> is a valid model name: 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit, without "..".</summary>
    public static void ValidateModelName(string name, string parameterName = "modelName") =>
        Require(name is not null && ModelName().IsMatch(name) && !name.Contains(".."), parameterName,
            $"Model name '{name}' is not valid: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'.");

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="alias"/> is a valid alias: 1–64 letters, digits, '_' or '-', starting with a letter, not "latest".</summary>
    public static void ValidateAlias(string alias, string parameterName = "alias")
    {
        Require(alias is not null && Alias().IsMatch(alias), parameterName,
            $"Alias '{alias}' is not valid: use 1-64 letters, digits, '_' or '-', starting with a letter.");
        Require(!string.Equals(alias, Latest, StringComparison.OrdinalIgnoreCase), parameterName,
            $"Alias '{Latest}' is reserved: it always means the newest active version.");
    }

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="key"/> is a valid tag key: 1–64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.</summary>
    public static void ValidateTagKey(string key, string parameterName = "tags") =>
        Require(key is not null && TagKey().IsMatch(key), parameterName,
            $"Tag key '{key}' is not valid: use 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.");

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="value"/> is a valid tag value: at most 500 characters, no control characters.</summary>
    public static void ValidateTagValue(string key, string value, string parameterName = "tags") =>
        Require(value is not null && value.Length <= 500 && !value.Any(char.IsControl), parameterName,
            $"The value of tag '{key}' is not valid: use at most 500 characters and no control characters.");

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="name"/> is a valid artifact file name: 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit, without "..".</summary>
    public static void ValidateArtifactName(string name, string parameterName = "name") =>
        Require(name is not null && ArtifactName().IsMatch(name) && !name.Contains(".."), parameterName,
            $"Artifact name '{name}' is not valid: use a plain file name of 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'.");

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="name"/> is a valid metric name: 1–200 characters, no control characters.</summary>
    public static void ValidateMetricName(string name, string parameterName = "metrics") =>
        Require(!string.IsNullOrWhiteSpace(name) && name.Length <= 200 && !name.Any(char.IsControl), parameterName,
            $"Metric name '{name}' is not valid: use 1-200 characters and no control characters.");

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="text"/> (a description, reason or user name) has at most <paramref name="maximumLength"/> characters.</summary>
    internal static void ValidateText(string? text, int maximumLength, string parameterName) =>
        Require(text is null || text.Length <= maximumLength, parameterName,
            $"{parameterName} has {text?.Length} characters; at most {maximumLength} are allowed.");

    private static void Require(bool valid, string parameterName, string message)
    {
        if (!valid)
            throw new ArgumentException(message, parameterName);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex ModelName();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex Alias();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
    private static partial Regex TagKey();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex ArtifactName();
}
