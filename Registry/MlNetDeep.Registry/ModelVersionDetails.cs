using System.Text.Json.Nodes;

namespace MlNetDeep.Registry;

/// <summary>
/// What to record with a new version besides the model itself. Everything is optional; what is left out is simply not
/// recorded (the environment is captured when not given, and a version registered from an <c>ITransformer</c> gets its
/// pipeline described).
/// </summary>
public sealed class ModelVersionDetails
{
    /// <summary>A free-text description (at most 4,000 characters).</summary>
    public string? Description { get; set; }

    /// <summary>
    /// The trainer's options and any other hyperparameters as JSON; <see cref="SetHyperparameters"/> converts an options
    /// object. Default: the run's, when <see cref="Run"/> is set.
    /// </summary>
    public JsonObject? Hyperparameters { get; set; }

    /// <summary>The pipeline's steps. Default: described from the model when it is registered as an <c>ITransformer</c>.</summary>
    public PipelineDescription? Pipeline { get; set; }

    /// <summary>The training data's fingerprint (<see cref="DataFingerprint.Compute"/>).</summary>
    public DataFingerprint? TrainingData { get; set; }

    /// <summary>The evaluation data's fingerprint.</summary>
    public DataFingerprint? EvaluationData { get; set; }

    /// <summary>Metric values; add ML.NET's metric objects or any report to it.</summary>
    public MetricSet Metrics { get; } = new();

    /// <summary>Named reports (an evaluation report, a confusion matrix) as JSON; <see cref="AddReport"/> converts objects.</summary>
    public JsonObject Reports { get; } = [];

    /// <summary>The training history, one JSON object per epoch; <see cref="AddHistory"/> converts records. Default: the run's.</summary>
    public IList<JsonObject> History { get; } = new List<JsonObject>();

    /// <summary>Packages, OS, hardware and seed. Default: the run's when <see cref="Run"/> is set, else captured from the registering process.</summary>
    public EnvironmentInfo? Environment { get; set; }

    /// <summary>The version this one was derived from, and how.</summary>
    public Lineage? Lineage { get; set; }

    /// <summary>Tags (key → value, the value may be empty), for search and filters.</summary>
    public IDictionary<string, string> Tags { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Aliases to point at the new version as part of the registration (audited with the reason "registered").</summary>
    public IList<string> Aliases { get; } = new List<string>();

    /// <summary>Further files to store with the version (an ONNX export, an HTML report), by artifact name → path.</summary>
    public IDictionary<string, string> Files { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The training run that produced the model (see <see cref="ModelRegistry.StartRunAsync"/>).</summary>
    public TrainingRun? Run { get; set; }

    /// <summary>Who registers it. Default: the registry's <see cref="ModelRegistry.Actor"/>.</summary>
    public string? RegisteredBy { get; set; }

    /// <summary>Sets <see cref="Hyperparameters"/> from an options object or JSON (<see cref="HyperparameterJson.From"/>).</summary>
    public ModelVersionDetails SetHyperparameters(object options)
    {
        Hyperparameters = HyperparameterJson.From(options);
        return this;
    }

    /// <summary>Stores <paramref name="report"/> (any object, or JSON) as JSON under <paramref name="name"/>.</summary>
    public ModelVersionDetails AddReport(string name, object report)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Reports[name] = HyperparameterJson.ToNode(report);
        return this;
    }

    /// <summary>Appends one JSON object per record (any type with public properties, such as MlNetDeep's <c>EpochRecord</c>).</summary>
    public ModelVersionDetails AddHistory<T>(IEnumerable<T> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            History.Add(HyperparameterJson.ToNode(record) as JsonObject
                ?? throw new ArgumentException($"A history record of type {typeof(T).Name} must be an object with named values.", nameof(records)));
        }
        return this;
    }
}
