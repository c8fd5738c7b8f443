namespace MlNetDeep.Registry;

/// <summary>What <see cref="ModelRegistry.SearchAsync"/> looks for and how it orders the result.</summary>
public sealed class VersionQuery
{
    /// <summary>Only versions of this model; null for all models. Default null.</summary>
    public string? ModelName { get; set; }

    /// <summary>Only versions with every one of these tags; a null value matches any value of the tag.</summary>
    public IDictionary<string, string?> Tags { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>Whether archived versions are included. Default false.</summary>
    public bool IncludeArchived { get; set; }

    /// <summary>Whether deleted versions are included. Default false.</summary>
    public bool IncludeDeleted { get; set; }

    /// <summary>
    /// Orders by this metric (versions without it are left out), then by model name and version; null to order by model
    /// name, newest version first. Default null.
    /// </summary>
    public string? OrderByMetric { get; set; }

    /// <summary>Whether the highest <see cref="OrderByMetric"/> comes first (accuracy) or the lowest (loss, RMSE). Default true.</summary>
    public bool HighestFirst { get; set; } = true;

    /// <summary>Further metrics to return with each result (in <see cref="ModelVersionSummary.Metrics"/>).</summary>
    public IList<string> IncludeMetrics { get; } = new List<string>();

    /// <summary>At most this many results; null for all. Default null.</summary>
    public int? Limit { get; set; }

    internal void Validate()
    {
        if (ModelName is not null)
            RegistryNames.ValidateModelName(ModelName, nameof(ModelName));
        foreach (var (key, value) in Tags)
        {
            RegistryNames.ValidateTagKey(key, nameof(Tags));
            if (value is not null)
                RegistryNames.ValidateTagValue(key, value, nameof(Tags));
        }
        if (OrderByMetric is not null)
            RegistryNames.ValidateMetricName(OrderByMetric, nameof(OrderByMetric));
        foreach (var metric in IncludeMetrics)
            RegistryNames.ValidateMetricName(metric, nameof(IncludeMetrics));
        if (Limit is < 1)
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, "Limit must be at least 1 (or null for all results).");
    }
}
