using System.Text.Json.Nodes;
using Microsoft.ML;

namespace MlNetDeep.Registry.Training;

/// <summary>Records what an MlNetDeep model knows about its own training with a version.</summary>
public static class DeepModelDetails
{
    /// <summary>
    /// Sets the version's hyperparameters to the trainer's options as <see cref="DeepTrainerOptions.ToJson"/> writes
    /// them, with the options class's name as <c>"$type"</c>: the record reads back with
    /// <c>DeepTrainerOptions.FromJson&lt;TOptions&gt;(version.Hyperparameters.ToJsonString())</c> to replay the training.
    /// </summary>
    public static ModelVersionDetails SetTrainerOptions(this ModelVersionDetails details, DeepTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(details);
        details.Hyperparameters = OptionsJson(options);
        return details;
    }

    /// <summary>The options as <see cref="DeepTrainerOptions.ToJson"/> writes them, led by the class name as <c>"$type"</c>.</summary>
    internal static JsonObject OptionsJson(DeepTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var json = new JsonObject { ["$type"] = options.GetType().Name };
        foreach (var (name, value) in JsonNode.Parse(options.ToJson())!.AsObject().ToArray())
            json[name] = value?.DeepClone();
        return json;
    }

    /// <summary>
    /// Adds the training history (one record per epoch) of each MlNetDeep network in <paramref name="model"/> (a fitted
    /// pipeline or a trainer's model), and a report <c>network</c> with its definition and parameter count. The history
    /// is added only when <paramref name="details"/> has none yet (a run's history is taken from the run).
    /// </summary>
    public static ModelVersionDetails AddTrainingResults(this ModelVersionDetails details, ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(details);
        ArgumentNullException.ThrowIfNull(model);
        var networks = Flatten(model).OfType<DeepPredictionTransformer>().ToArray();
        if (networks.Length == 0)
            throw new ArgumentException("The model has no MlNetDeep network (DeepPredictionTransformer) to record.", nameof(model));
        foreach (var network in networks)
        {
            if (details.History.Count == 0 && details.Run is null)
                details.AddHistory(network.History);
        }
        details.Reports["network"] = networks.Length == 1 ? Describe(networks[0]) : new JsonArray(networks.Select(n => (JsonNode)Describe(n)).ToArray());
        return details;
    }

    private static JsonObject Describe(DeepPredictionTransformer network) => new()
    {
        ["definition"] = JsonNode.Parse(network.Network.Spec.ToJson()),
        ["parameter_count"] = network.Network.ParameterCount,
        ["class_count"] = network.Network.ClassCount,
        ["epochs_trained"] = network.History.Count,
    };

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];
}
