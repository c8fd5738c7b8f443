using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using MlNetDeep.Quantization;
using MlNetDeep.Scoring;
using Onnx;

namespace MlNetDeep;

/// <summary>Finds the MlNetDeep networks in a fitted model and rebuilds the model with their ONNX graphs rewritten.</summary>
internal static class NetworkRewriting
{
    private const string NetworkMetadataKey = "mlnetdeep.network";

    /// <summary>
    /// A new model with the same steps as <paramref name="model"/>, each MlNetDeep network's graph replaced by what
    /// <paramref name="rewrite"/> returns for it (given the data as that step sees it); <paramref name="model"/> is untouched.
    /// </summary>
    public static ITransformer Rewrite(ITransformer model, IDataView data, string dataParameter, Func<GraphEditor, IDataView, byte[]> rewrite)
    {
        var ml = new MLContext();
        var (_, steps) = ModelParts.Load(ml, model);
        var networks = NetworkSteps(ml, steps);
        CheckSchema(model, data, dataParameter);
        var rebuilt = new List<ITransformer>();
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (networks.TryGetValue(i, out var onnx))
                step = Rescore(ml, rewrite(new GraphEditor(ModelProto.Parser.ParseFrom(onnx)), data), data);
            rebuilt.Add(step);
            data = step.Transform(data);
        }
        return new TransformerChain<ITransformer>(rebuilt.ToArray());
    }

    /// <summary>The ONNX graphs of the model's MlNetDeep networks, by the index of their scorer among the steps.</summary>
    public static Dictionary<int, byte[]> NetworkSteps(MLContext ml, IReadOnlyList<ITransformer> steps)
    {
        var networks = new Dictionary<int, byte[]>();
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is OnnxTransformer scorer && ModelParts.OnnxBytes(ml, scorer) is var onnx && ModelProto.Parser.ParseFrom(onnx).MetadataProps.Any(p => p.Key == NetworkMetadataKey))
                networks[i] = onnx;
        }
        if (networks.Count == 0)
            throw new ArgumentException("The model holds no MlNetDeep network: quantization and precision conversion work on the networks MlNetDeep's trainers fit (they rewrite their ONNX graphs).", "model");
        return networks;
    }

    private static void CheckSchema(ITransformer model, IDataView data, string dataParameter)
    {
        try
        {
            model.GetOutputSchema(data.Schema);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"The data does not fit the model: {e.Message}", dataParameter, e);
        }
    }

    /// <summary>An ONNX scorer running <paramref name="onnx"/>, reading and writing the columns its graph names.</summary>
    private static ITransformer Rescore(MLContext ml, byte[] onnx, IDataView input)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = model.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name).ToArray();
        var outputs = model.Graph.Output.Select(o => o.Name).ToArray();
        return ml.Transforms.ApplyOnnxModel(outputs, inputs, new MemoryStream(onnx), shapeDictionary: null, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100).Fit(input);
    }
}
