using System.Globalization;

namespace MlNetDeep.Search;

/// <summary>
/// One dimension of a search space. Every parameter maps a coordinate of the unit interval onto its values, so samplers
/// (random, quasi-random, TPE) work on the unit cube and never need to know the parameter's kind.
/// </summary>
public abstract class SearchParameter
{
    private protected SearchParameter(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("A search parameter needs a name.", nameof(name));
        Name = name;
    }

    /// <summary>The parameter's name: an option's property name (e.g. "LearningRate") or a name an architecture space reads.</summary>
    public string Name { get; }

    /// <summary>The parameter this one depends on, or null when it is always active.</summary>
    public string? ParentName { get; private set; }

    /// <summary>The parent's values for which this parameter is active (empty when unconditional).</summary>
    public IReadOnlyList<object> ActiveWhen { get; private set; } = [];

    /// <summary>The number of distinct values for a choice, or null for an ordered numeric range.</summary>
    internal virtual int? Categories => null;

    /// <summary>The value at unit coordinate <paramref name="unit"/> in [0, 1).</summary>
    public abstract object ValueAt(double unit);

    /// <summary>Every value this parameter can take, when there are few enough to list (choices and small integer ranges); null otherwise.</summary>
    internal abstract IReadOnlyList<object>? Values { get; }

    /// <summary>A one-line description (kind, range, condition) that identifies the parameter in a persisted trial table.</summary>
    public abstract string Describe();

    internal void SetCondition(string parent, IReadOnlyList<object> values)
    {
        ParentName = parent;
        ActiveWhen = values;
    }

    private protected string ConditionText =>
        ParentName is null ? "" : $" when {ParentName} in [{string.Join(", ", ActiveWhen.Select(Format))}]";

    internal static string Format(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    internal virtual void Validate() { }
}

/// <summary>An integer in [<see cref="Min"/>, <see cref="Max"/>], uniform or log-uniform.</summary>
public sealed class IntParameter : SearchParameter
{
    /// <summary>An integer parameter.</summary>
    public IntParameter(string name, int min, int max, bool logScale = false) : base(name)
    {
        Min = min;
        Max = max;
        LogScale = logScale;
    }

    /// <summary>The least value.</summary>
    public int Min { get; }

    /// <summary>The greatest value.</summary>
    public int Max { get; }

    /// <summary>Whether values are spread evenly on a log scale.</summary>
    public bool LogScale { get; }

    /// <inheritdoc />
    public override object ValueAt(double unit)
    {
        var value = LogScale
            ? Math.Exp(Math.Log(Min) + unit * (Math.Log(Max + 1.0) - Math.Log(Min)))
            : Min + unit * (Max - Min + 1.0);
        return Math.Clamp((int)Math.Floor(value), Min, Max);
    }

    internal override IReadOnlyList<object>? Values => Max - Min <= 64 ? Enumerable.Range(Min, Max - Min + 1).Cast<object>().ToArray() : null;

    /// <inheritdoc />
    public override string Describe() => $"{Name}: int [{Min}, {Max}]{(LogScale ? " log" : "")}{ConditionText}";

    internal override void Validate()
    {
        if (Min > Max)
            throw new ArgumentException($"Search parameter '{Name}': min {Min} is greater than max {Max}.");
        if (LogScale && Min <= 0)
            throw new ArgumentException($"Search parameter '{Name}': a log-scaled range needs min > 0 (got {Min}).");
    }
}

/// <summary>A real number in [<see cref="Min"/>, <see cref="Max"/>), uniform or log-uniform (learning rates, weight decay).</summary>
public sealed class FloatParameter : SearchParameter
{
    /// <summary>A real parameter.</summary>
    public FloatParameter(string name, double min, double max, bool logScale = false) : base(name)
    {
        Min = min;
        Max = max;
        LogScale = logScale;
    }

    /// <summary>The least value.</summary>
    public double Min { get; }

    /// <summary>The upper bound.</summary>
    public double Max { get; }

    /// <summary>Whether values are spread evenly on a log scale.</summary>
    public bool LogScale { get; }

    /// <inheritdoc />
    public override object ValueAt(double unit) => LogScale
        ? Math.Exp(Math.Log(Min) + unit * (Math.Log(Max) - Math.Log(Min)))
        : Min + unit * (Max - Min);

    internal override IReadOnlyList<object>? Values => null;

    /// <inheritdoc />
    public override string Describe() =>
        $"{Name}: float [{Format(Min)}, {Format(Max)}){(LogScale ? " log" : "")}{ConditionText}";

    internal override void Validate()
    {
        if (!double.IsFinite(Min) || !double.IsFinite(Max) || Min > Max)
            throw new ArgumentException($"Search parameter '{Name}': the range [{Min}, {Max}) is empty or not finite.");
        if (LogScale && Min <= 0)
            throw new ArgumentException($"Search parameter '{Name}': a log-scaled range needs min > 0 (got {Min}).");
    }
}

/// <summary>One of a list of values (numbers, strings, Booleans or enum members such as <see cref="PoolingKind.Max"/>).</summary>
public sealed class ChoiceParameter : SearchParameter
{
    /// <summary>A choice among <paramref name="choices"/>.</summary>
    public ChoiceParameter(string name, params object[] choices) : base(name) => Choices = choices;

    /// <summary>The values to choose from.</summary>
    public IReadOnlyList<object> Choices { get; }

    internal override int? Categories => Choices.Count;

    /// <inheritdoc />
    public override object ValueAt(double unit) => Choices[Math.Clamp((int)Math.Floor(unit * Choices.Count), 0, Choices.Count - 1)];

    internal override IReadOnlyList<object>? Values => Choices;

    /// <inheritdoc />
    public override string Describe() => $"{Name}: choice [{string.Join(", ", Choices.Select(Format))}]{ConditionText}";

    internal override void Validate()
    {
        if (Choices.Count == 0)
            throw new ArgumentException($"Search parameter '{Name}': a choice needs at least one value.");
        if (Choices.Any(c => c is null || !(c is string or bool or Enum || c.GetType().IsPrimitive || c is decimal)))
            throw new ArgumentException($"Search parameter '{Name}': choices must be numbers, strings, Booleans or enum members.");
        if (Choices.Distinct().Count() != Choices.Count)
            throw new ArgumentException($"Search parameter '{Name}': the choices repeat a value.");
    }
}

/// <summary>
/// A typed, composable search space: an ordered list of parameters, some active only for certain values of an earlier
/// one (e.g. the width of layer 3 only when there are 3 layers). Build it with <see cref="Int"/>, <see cref="Float"/>,
/// <see cref="LogFloat"/>, <see cref="Choice"/>, optionally followed by <see cref="When"/>; combine spaces with <see cref="Add(SearchSpace)"/>.
/// </summary>
public sealed class SearchSpace
{
    private readonly List<SearchParameter> parameters = [];

    /// <summary>The parameters in sampling order (a conditional parameter follows its parent).</summary>
    public IReadOnlyList<SearchParameter> Parameters => parameters;

    /// <summary>Adds an integer in [min, max].</summary>
    public SearchSpace Int(string name, int min, int max, bool logScale = false) => Add(new IntParameter(name, min, max, logScale));

    /// <summary>Adds a real number in [min, max).</summary>
    public SearchSpace Float(string name, double min, double max) => Add(new FloatParameter(name, min, max));

    /// <summary>Adds a real number in [min, max) on a log scale.</summary>
    public SearchSpace LogFloat(string name, double min, double max) => Add(new FloatParameter(name, min, max, logScale: true));

    /// <summary>Adds a choice among <paramref name="choices"/>.</summary>
    public SearchSpace Choice(string name, params object[] choices) => Add(new ChoiceParameter(name, choices));

    /// <summary>Makes the parameter added last active only when <paramref name="parent"/> takes one of <paramref name="values"/>.</summary>
    public SearchSpace When(string parent, params object[] values)
    {
        if (parameters.Count == 0)
            throw new InvalidOperationException("When(...) applies to the parameter added last; add one first.");
        parameters[^1].SetCondition(parent, values);
        return this;
    }

    /// <summary>Adds a parameter.</summary>
    public SearchSpace Add(SearchParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameters.Add(parameter);
        return this;
    }

    /// <summary>Adds every parameter of <paramref name="other"/>.</summary>
    public SearchSpace Add(SearchSpace other)
    {
        ArgumentNullException.ThrowIfNull(other);
        parameters.AddRange(other.parameters);
        return this;
    }

    /// <summary>
    /// Checks the space: at least one parameter, unique names, non-empty ranges, and conditions that name an earlier
    /// parameter and values it can take.
    /// </summary>
    /// <exception cref="ArgumentException">The space is empty or contradictory; the message names the parameter.</exception>
    public void Validate()
    {
        if (parameters.Count == 0)
            throw new ArgumentException("The search space is empty: add at least one parameter.");
        var seen = new Dictionary<string, SearchParameter>();
        foreach (var parameter in parameters)
        {
            if (seen.ContainsKey(parameter.Name))
                throw new ArgumentException($"The search space has two parameters named '{parameter.Name}'.");
            parameter.Validate();
            if (parameter.ParentName is { } parentName)
            {
                if (!seen.TryGetValue(parentName, out var parent))
                    throw new ArgumentException($"Search parameter '{parameter.Name}' depends on '{parentName}', which is not an earlier parameter of the space.");
                if (parameter.ActiveWhen.Count == 0)
                    throw new ArgumentException($"Search parameter '{parameter.Name}': When('{parentName}') needs at least one value.");
                if (parent.Values is { } possible)
                {
                    var never = parameter.ActiveWhen.Where(v => !possible.Any(p => Same(p, v))).ToArray();
                    if (never.Length == parameter.ActiveWhen.Count)
                        throw new ArgumentException(
                            $"Search parameter '{parameter.Name}' is active only when '{parentName}' is [{string.Join(", ", never.Select(SearchParameter.Format))}], " +
                            $"which '{parentName}' never takes: the space is contradictory.");
                }
            }
            seen.Add(parameter.Name, parameter);
        }
    }

    /// <summary>The point at <paramref name="unit"/> (one coordinate in [0, 1) per parameter); inactive parameters are left out.</summary>
    public SearchPoint PointAt(IReadOnlyList<double> unit)
    {
        if (unit.Count != parameters.Count)
            throw new ArgumentException($"The point has {unit.Count} coordinates; the space has {parameters.Count} parameters.", nameof(unit));
        var values = new Dictionary<string, object>();
        for (var i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            if (IsActive(parameter, values))
                values[parameter.Name] = parameter.ValueAt(Math.Clamp(unit[i], 0, Math.BitDecrement(1.0)));
        }
        return new SearchPoint(values, unit.ToArray());
    }

    /// <summary>A text that changes whenever the space changes, stored with a trial table so a resume with another space is refused.</summary>
    public string Describe() => string.Join("; ", parameters.Select(p => p.Describe()));

    private static bool IsActive(SearchParameter parameter, Dictionary<string, object> values) =>
        parameter.ParentName is null ||
        (values.TryGetValue(parameter.ParentName, out var parentValue) && parameter.ActiveWhen.Any(v => Same(v, parentValue)));

    internal static bool Same(object a, object b) =>
        a.Equals(b) || (IsNumber(a) && IsNumber(b) && Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture));

    private static bool IsNumber(object value) => value is int or long or double or float or short or byte or decimal;
}

/// <summary>A sampled point of a search space: the active parameters' values and the unit-cube coordinates they came from.</summary>
public sealed class SearchPoint
{
    internal SearchPoint(IReadOnlyDictionary<string, object> values, IReadOnlyList<double> unit)
    {
        Values = values;
        Unit = unit;
    }

    /// <summary>The active parameters' values by name.</summary>
    public IReadOnlyDictionary<string, object> Values { get; }

    /// <summary>The unit-cube coordinates, one per parameter of the space (inactive ones included).</summary>
    public IReadOnlyList<double> Unit { get; }

    /// <summary>Whether <paramref name="name"/> is active at this point.</summary>
    public bool Has(string name) => Values.ContainsKey(name);

    /// <summary>The value of <paramref name="name"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="KeyNotFoundException">The parameter is not active at this point.</exception>
    public T Get<T>(string name)
    {
        if (!Values.TryGetValue(name, out var value))
            throw new KeyNotFoundException($"Search parameter '{name}' is not active at this point.");
        return value is T typed ? typed : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Values.Select(v => $"{v.Key}={SearchParameter.Format(v.Value is double d ? Math.Round(d, 6) : v.Value)}"));
}
