using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: MlNetDeep.ScoringProcess <multiclass|binary|regression> <model.zip> <input.tsv> <output.tsv>
// input.tsv: one example per line, tab-separated feature values. output.tsv: the predicted label, then the scores.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: MlNetDeep.ScoringProcess <multiclass|binary|regression> <model.zip> <input.tsv> <output.tsv>");
    return 2;
}
var (task, modelPath, inputPath, outputPath) = (args[0], args[1], args[2], args[3]);
var ml = new MLContext();
var model = ml.Model.Load(modelPath, out _);
var inputs = File.ReadAllLines(inputPath)
    .Select(line => new ModelInput { Features = line.Split('\t').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray() })
    .ToArray();
// The model's Features column has a fixed size, which the engine's input type must declare.
var inputSchema = SchemaDefinition.Create(typeof(ModelInput));
inputSchema[nameof(ModelInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, inputs[0].Features.Length);
var lines = task switch
{
    "multiclass" => Predict<MulticlassOutput>(o => o.PredictedLabel, o => o.Score),
    "binary" => Predict<BinaryOutput>(o => o.PredictedLabel.ToString(), o => [o.Score, o.Probability]),
    "regression" => Predict<RegressionOutput>(_ => "", o => [o.Score]),
    _ => throw new ArgumentException($"Unknown task '{task}'."),
};
File.WriteAllLines(outputPath, lines);
(model as IDisposable)?.Dispose();
return 0;

IEnumerable<string> Predict<TOutput>(Func<TOutput, string> label, Func<TOutput, float[]> scores) where TOutput : class, new()
{
    using var engine = ml.Model.CreatePredictionEngine<ModelInput, TOutput>(model, inputSchemaDefinition: inputSchema);
    return inputs.Select(input => engine.Predict(input))
        .Select(output => label(output) + "\t" + string.Join('\t', scores(output).Select(s => s.ToString("R", CultureInfo.InvariantCulture))))
        .ToArray();
}

internal sealed class ModelInput
{
    public float[] Features { get; set; } = [];
}

internal sealed class MulticlassOutput
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}

internal sealed class BinaryOutput
{
    public bool PredictedLabel { get; set; }

    public float Score { get; set; }

    public float Probability { get; set; }
}

internal sealed class RegressionOutput
{
    public float Score { get; set; }
}
