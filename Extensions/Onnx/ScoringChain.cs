using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Networks;
using MlNetDeep.Scoring;
using MlNetDeep.Tasks;

namespace MlNetDeep.Onnx;

/// <summary>
/// Builds the scoring part of a fitted model from ML.NET's own transforms only — the ONNX scorer plus column transforms —
/// so <c>ml.Model.Save</c> writes it into model.zip and <c>ml.Model.Load</c> reads it back in any process.
/// </summary>
internal static class ScoringChain
{
    /// <summary>The ONNX input name: the feature column itself when ML.NET's ONNX scorer can read it, else an internal float vector.</summary>
    public static string OnnxInputName(FeatureColumn features) => features.IsOnnxReady ? features.Name : ColumnNames.Features;

    public static ITransformer Build(MLContext ml, TrainedNetwork network, FeatureColumn features, PredictionTask task, ClassValues? classes,
        OutputColumns columns, IDataView schemaSource)
    {
        var input = OnnxInputName(features);
        var onnx = network.ToOnnx(input, features.IsTokenSequence ? TokenKeyCodes.Bits(ml, schemaSource, features.Name) : 0, columns);
        var dropped = task.InternalColumns(network.ClassCount).ToList();
        IEstimator<ITransformer> chain = new EstimatorChain<ITransformer>();
        if (features.IsTokenSequence)
            chain = chain.Append(TokenKeyCodes.Encode(ml, features.Name));
        if (features.IsDouble)
            chain = chain.Append(ml.Transforms.Conversion.ConvertType(input, features.Name, DataKind.Single));
        if (features.IsScalar)
            chain = chain.Append(ml.Transforms.Concatenate(input, features.IsDouble ? input : features.Name));
        if (!features.IsOnnxReady)
            dropped.Add(input);
        var scoring = chain
            .Append(ml.Transforms.ApplyOnnxModel(task.OnnxOutputs(columns), [input], new MemoryStream(onnx), shapeDictionary: null, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100))
            .Append(task.OutputTransforms(ml, classes, network.ClassCount, columns))
            .Append(ml.Transforms.DropColumns(dropped.ToArray()));
        // None of these transforms learns from rows: Fit only binds them to the schema.
        return scoring.Fit(schemaSource);
    }
}
