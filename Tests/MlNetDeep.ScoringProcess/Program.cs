using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: MlNetDeep.ScoringProcess <multiclass|binary|regression|vector-regression> <model.zip> <input.tsv> <output.tsv> [<input column> floats|text]
// input.tsv: one example per line — tab-separated feature values (floats, the default, into column Features) or one
// text (text, e.g. a mail or an image path). output.tsv: the predicted label, then the scores.
if (args.Length is not (4 or 6) || (args.Length == 6 && args[5] is not ("floats" or "text")))
{
    Console.Error.WriteLine("usage: MlNetDeep.ScoringProcess <multiclass|binary|regression|vector-regression> <model.zip> <input.tsv> <output.tsv> [<input column> floats|text]");
    return 2;
}
var (task, modelPath, inputPath, outputPath) = (args[0], args[1], args[2], args[3]);
var (inputColumn, inputKind) = args.Length == 6 ? (args[4], args[5]) : ("Features", "floats");
var ml = new MLContext();
var model = ml.Model.Load(modelPath, out _);
var lines = File.ReadAllLines(inputPath);
var outputLines = inputKind == "text"
    ? Score(lines.Select(line => new TextInput { Value = line }).ToArray(), SchemaDefinition.Create(typeof(TextInput)))
    : Score(lines.Select(line => new FloatsInput { Value = line.Split('\t').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray() }).ToArray(),
        SchemaDefinition.Create(typeof(FloatsInput)), lines[0].Split('\t').Length);
File.WriteAllLines(outputPath, outputLines);
(model as IDisposable)?.Dispose();
return 0;

string[] Score<TInput>(TInput[] inputs, SchemaDefinition inputSchema, int? vectorSize = null) where TInput : class
{
    inputSchema[0].ColumnName = inputColumn;
    // The model's feature column has a fixed size, which the engine's input type must declare.
    if (vectorSize is { } size)
        inputSchema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
    return task switch
    {
        "multiclass" => Predict<TInput, MulticlassOutput>(inputs, inputSchema, o => o.PredictedLabel, o => o.Score),
        "binary" => Predict<TInput, BinaryOutput>(inputs, inputSchema, o => o.PredictedLabel.ToString(), o => [o.Score, o.Probability]),
        "regression" => Predict<TInput, RegressionOutput>(inputs, inputSchema, _ => "", o => [o.Score]),
        "vector-regression" => Predict<TInput, VectorRegressionOutput>(inputs, inputSchema, _ => "", o => o.Score),
        _ => throw new ArgumentException($"Unknown task '{task}'."),
    };
}

string[] Predict<TInput, TOutput>(TInput[] inputs, SchemaDefinition inputSchema, Func<TOutput, string> label, Func<TOutput, float[]> scores)
    where TInput : class where TOutput : class, new()
{
    using var engine = ml.Model.CreatePredictionEngine<TInput, TOutput>(model, inputSchemaDefinition: inputSchema);
    return inputs.Select(input => engine.Predict(input))
        .Select(output => label(output) + "\t" + string.Join('\t', scores(output).Select(s => s.ToString("R", CultureInfo.InvariantCulture))))
        .ToArray();
}

internal sealed class FloatsInput
{
    public float[] Value { get; set; } = [];
}

internal sealed class TextInput
{
    public string Value { get; set; } = "";
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

internal sealed class VectorRegressionOutput
{
    public float[] Score { get; set; } = [];
}
