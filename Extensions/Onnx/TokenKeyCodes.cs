using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Scoring;

namespace MlNetDeep.Onnx;

/// <summary>
/// How token keys reach the ONNX scorer: as ML.NET's MapKeyToBinaryVector codes (per token, the 0-based key index in
/// <c>bits</c> binary digits, most significant first; all ones for a key missing from the dictionary), which the graph
/// decodes back to key values. ML.NET converts keys to no float type (ConvertType keeps them keyed), and its MapValue
/// (5.0.1) leaves the previous row's values in a reused buffer when a row's keys are all missing.
/// </summary>
internal static class TokenKeyCodes
{
    public static IEstimator<ITransformer> Encode(MLContext ml, string inputColumnName) =>
        ml.Transforms.Conversion.MapKeyToBinaryVector(ColumnNames.Features, inputColumnName);

    /// <summary>The binary digits per token that <see cref="Encode"/> writes for the key column <paramref name="inputColumnName"/>.</summary>
    public static int Bits(MLContext ml, IDataView schemaSource, string inputColumnName)
    {
        var type = Encode(ml, inputColumnName).Fit(schemaSource).GetOutputSchema(schemaSource.Schema)[ColumnNames.Features].Type;
        return ((VectorDataViewType)type).Dimensions[^1];
    }
}
