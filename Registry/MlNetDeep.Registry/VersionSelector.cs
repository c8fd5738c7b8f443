using System.Globalization;

namespace MlNetDeep.Registry;

/// <summary>Which version of a model to use: a version number, an alias such as <c>production</c>, or the newest active version.</summary>
public readonly record struct VersionSelector
{
    private VersionSelector(int? number, string? alias)
    {
        Number = number;
        Alias = alias;
    }

    /// <summary>The version number, when the selector names one.</summary>
    public int? Number { get; }

    /// <summary>The alias, when the selector names one (never <see cref="RegistryNames.Latest"/>).</summary>
    public string? Alias { get; }

    /// <summary>Whether the selector means the newest active version.</summary>
    public bool IsLatest => Number is null && Alias is null;

    /// <summary>The newest active version.</summary>
    public static VersionSelector Latest => default;

    /// <summary>Version <paramref name="number"/> (from 1).</summary>
    public static VersionSelector Version(int number) =>
        number >= 1 ? new(number, null) : throw new ArgumentOutOfRangeException(nameof(number), number, "Version numbers start at 1.");

    /// <summary>The version <paramref name="alias"/> points to.</summary>
    public static VersionSelector ForAlias(string alias)
    {
        if (string.Equals(alias, RegistryNames.Latest, StringComparison.OrdinalIgnoreCase))
            return Latest;
        RegistryNames.ValidateAlias(alias);
        return new(null, alias);
    }

    /// <summary>Reads "3", "v3", "production" or "latest".</summary>
    public static VersionSelector Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var digits = text.StartsWith('v') && text.Length > 1 && char.IsAsciiDigit(text[1]) ? text[1..] : text;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? Version(number) : ForAlias(text);
    }

    /// <summary>Splits "name@selector" (or "name", meaning the newest version) into the model name and the selector.</summary>
    public static (string ModelName, VersionSelector Selector) ParseReference(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        var at = reference.IndexOf('@');
        var name = at < 0 ? reference : reference[..at];
        RegistryNames.ValidateModelName(name, nameof(reference));
        return (name, at < 0 ? Latest : Parse(reference[(at + 1)..]));
    }

    /// <inheritdoc />
    public override string ToString() => Number is { } n ? n.ToString(CultureInfo.InvariantCulture) : Alias ?? RegistryNames.Latest;
}
