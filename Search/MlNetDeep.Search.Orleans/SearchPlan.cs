using Microsoft.ML;

namespace MlNetDeep.Search.Orleans;

/// <summary>
/// A search every silo of a cluster knows by name: its definition (space, trainer, options — the options'
/// <see cref="DeepSearchOptions.Folder"/> must be a folder all silos share, where the trial table lives) and how a
/// worker loads the data by path. Data never travels through grain calls.
/// </summary>
public sealed class SearchPlan
{
    /// <summary>A plan named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The definition has no shared folder.</exception>
    public SearchPlan(string name, SearchDefinition definition, Func<MLContext, (IDataView Train, IDataView? Validation)> loadData)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(loadData);
        if (definition.Options.Folder is null)
            throw new ArgumentException($"Search plan '{name}': DeepSearchOptions.Folder must name a folder every silo can reach (the trial table lives there).");
        Name = name;
        Definition = definition;
        LoadData = loadData;
    }

    /// <summary>The plan's name (the coordinator grain's key).</summary>
    public string Name { get; }

    /// <summary>What is searched.</summary>
    public SearchDefinition Definition { get; }

    /// <summary>Loads the training (and optional validation) data on a worker, e.g. from files in a shared folder.</summary>
    public Func<MLContext, (IDataView Train, IDataView? Validation)> LoadData { get; }

    /// <summary>A running trial whose worker has not reported for this long is handed out again. Default 10 s.</summary>
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The folder holding the trial table and the trials' models (<c>models/trial-N.zip</c>).</summary>
    public string Folder => Definition.Options.Folder!;

    /// <summary>Where a trial's fitted model is saved.</summary>
    public string ModelPath(int trialNumber) => Path.Combine(Folder, "models", $"trial-{trialNumber}.zip");
}

/// <summary>The plans a silo knows.</summary>
public sealed class SearchPlans(IEnumerable<SearchPlan> plans)
{
    private readonly Dictionary<string, SearchPlan> byName = plans.ToDictionary(p => p.Name);

    /// <summary>The plan named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No plan has that name on this silo.</exception>
    public SearchPlan Get(string name) => byName.TryGetValue(name, out var plan)
        ? plan
        : throw new KeyNotFoundException($"This silo knows no search plan named '{name}' (known: {string.Join(", ", byName.Keys)}); register it with AddSearchPlan.");
}
