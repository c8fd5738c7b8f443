using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MlNetDeep.Scoring;

// ONNX outputs must have rank >= 1 for ML.NET's OnnxTransformer (a rank-0 output breaks PredictionEngine, still so in
// ML.NET 6.0), while ML.NET's scalar output columns (Score for binary and regression, Probability, PredictedLabel) are
// scalars. These stateless mappings bridge that gap into internal columns, which the model then copies to the output
// names the trainer was given; they are saved in model.zip by contract name and found again through this assembly at load.

internal sealed class SingleOutput
{
    [ColumnName(ColumnNames.NetworkOutput), VectorType(1)]
    public float[] Output = [];
}

internal sealed class RegressionScore
{
    [ColumnName(ColumnNames.ScalarScore)]
    public float Score;
}

internal sealed class BinaryPrediction
{
    [ColumnName(ColumnNames.ScalarScore)]
    public float Score;

    [ColumnName(ColumnNames.ScalarProbability)]
    public float Probability;

    [ColumnName(ColumnNames.BooleanPrediction)]
    public bool PredictedLabel;
}

internal sealed class PredictedIndexVector
{
    [ColumnName(ColumnNames.PredictedIndexVector), VectorType(1)]
    public long[] Index = [];
}

internal sealed class PredictedIndex
{
    [ColumnName(ColumnNames.PredictedIndex)]
    public uint Index;
}

[CustomMappingFactoryAttribute(ContractName)]
internal sealed class RegressionScoreMapping : CustomMappingFactory<SingleOutput, RegressionScore>
{
    public const string ContractName = "MlNetDeep.RegressionScore";

    public static void Map(SingleOutput input, RegressionScore output) => output.Score = input.Output[0];

    public override Action<SingleOutput, RegressionScore> GetMapping() => Map;
}

[CustomMappingFactoryAttribute(ContractName)]
internal sealed class BinaryPredictionMapping : CustomMappingFactory<SingleOutput, BinaryPrediction>
{
    public const string ContractName = "MlNetDeep.BinaryPrediction";

    public static void Map(SingleOutput input, BinaryPrediction output)
    {
        var logit = input.Output[0];
        output.Score = logit;
        output.Probability = 1f / (1f + MathF.Exp(-logit));
        output.PredictedLabel = logit > 0;
    }

    public override Action<SingleOutput, BinaryPrediction> GetMapping() => Map;
}

[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PredictedIndexMapping : CustomMappingFactory<PredictedIndexVector, PredictedIndex>
{
    public const string ContractName = "MlNetDeep.PredictedIndex";

    public static void Map(PredictedIndexVector input, PredictedIndex output) => output.Index = (uint)input.Index[0];

    public override Action<PredictedIndexVector, PredictedIndex> GetMapping() => Map;
}
