namespace MlNetDeep.Scoring;

/// <summary>ML.NET's conventional output column names, and the internal columns a fitted model drops again.</summary>
internal static class ColumnNames
{
    public const string Score = "Score";
    public const string PredictedLabel = "PredictedLabel";
    public const string Probability = "Probability";

    public const string Features = "__MlNetDeep_Features";
    public const string NetworkOutput = "__MlNetDeep_Output";
    public const string PredictedIndexVector = "__MlNetDeep_PredictedIndexVector";
    public const string PredictedIndex = "__MlNetDeep_PredictedIndex";
    public const string PredictedValue = "__MlNetDeep_PredictedValue";
    public const string ScalarScore = "__MlNetDeep_Score";
    public const string ScalarProbability = "__MlNetDeep_Probability";
    public const string BooleanPrediction = "__MlNetDeep_PredictedLabel";
}
