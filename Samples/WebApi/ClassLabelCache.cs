using Microsoft.ML;
using MlNetDeep;
using MlNetDeep.Serving;

namespace WebApi;

/// <summary>The class names in Score order, read once per model version from its output schema.</summary>
public sealed class ClassLabelCache
{
    private static readonly DataViewSchema InputSchema = new MLContext().Data.LoadFromEnumerable(Array.Empty<ModelInput>()).Schema;
    private Entry? cached;

    /// <summary>The response for <paramref name="output"/>, with each class's probability under its name.</summary>
    public PredictResponse Respond(PredictionEnginePool<ModelInput, ModelOutput> pool, ModelOutput output)
    {
        var labels = Labels(pool);
        var scores = new Dictionary<string, float>(labels.Length);
        for (var i = 0; i < labels.Length && i < output.Score.Length; i++)
            scores[labels[i]] = output.Score[i];
        return new PredictResponse(output.PredictedLabel, scores);
    }

    private string[] Labels(PredictionEnginePool<ModelInput, ModelOutput> pool)
    {
        var model = pool.GetModel();
        if (Volatile.Read(ref cached) is { } known && ReferenceEquals(known.Model, model))
            return known.Labels;
        var labels = model.GetOutputSchema(InputSchema).GetClassLabels();
        Volatile.Write(ref cached, new Entry(model, labels));
        return labels;
    }

    /// <summary>One object, so that concurrent requests never see one version's model with another's labels.</summary>
    private sealed record Entry(ITransformer Model, string[] Labels);
}
