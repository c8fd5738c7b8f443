using Microsoft.ML;
using MlNetDeep;

namespace FashionMnistClassification;

/// <summary>Scores single images with a saved model.zip, as an application that only predicts would.</summary>
public sealed class ConsumeModel : IDisposable
{
    private readonly ITransformer model;
    private readonly PredictionEngine<ModelInput, ModelOutput> engine;
    private readonly DataViewSchema outputSchema;

    public ConsumeModel(string modelPath)
    {
        var ml = new MLContext();
        model = ml.Model.LoadChecked(modelPath, out var inputSchema);
        engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        outputSchema = model.GetOutputSchema(inputSchema);
    }

    public ModelOutput Predict(ModelInput input) => engine.Predict(input);

    /// <summary>The <paramref name="count"/> most likely classes with their probabilities.</summary>
    public IEnumerable<KeyValuePair<string, float>> TopLabels(ModelOutput output, int count) =>
        outputSchema.GetLabelScores(output.Score).OrderByDescending(p => p.Value).Take(count);

    public void Dispose()
    {
        engine.Dispose();
        (model as IDisposable)?.Dispose();
    }
}
