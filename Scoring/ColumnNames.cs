namespace MlNetDeep.Scoring;

/// <summary>Names of the columns a fitted model produces, following ML.NET's conventions, and of the internal ones it drops again.</summary>
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
}
