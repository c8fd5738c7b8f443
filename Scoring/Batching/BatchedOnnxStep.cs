using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Onnx;
using Onnx;

namespace MlNetDeep.Scoring;

/// <summary>An ML.NET ONNX scorer replaced by its batched graph in one ONNX Runtime session.</summary>
internal sealed class BatchedOnnxStep : IDisposable
{
    private readonly InferenceSession session;
    private readonly RunOptions runOptions = new();
    private readonly string[] outputNames;

    public BatchedOnnxStep(OnnxTransformer scorer, BatchedGraph graph, OnnxExecutionOptions execution)
    {
        Scorer = scorer;
        Graph = graph;
        using var sessionOptions = OnnxExecution.CreateSessionOptions(execution);
        session = new InferenceSession(graph.Model, sessionOptions);
        outputNames = graph.Outputs.Select(o => o.Name).ToArray();
    }

    /// <summary>The ML.NET scorer this step stands in for (it gives the output columns' types).</summary>
    public OnnxTransformer Scorer { get; }

    public BatchedGraph Graph { get; }

    /// <summary>Scores <paramref name="count"/> rows of <paramref name="inputs"/> (row-major) into <paramref name="outputs"/> (one array per graph output, row-major).</summary>
    public void Run(float[] inputs, int count, Array[] outputs)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputs.AsMemory(0, count * Graph.InputSize), [count, Graph.InputSize]);
        using var results = session.Run(runOptions, [Graph.InputName], [input], outputNames);
        var i = 0;
        foreach (var result in results)
        {
            var values = count * Graph.Outputs[i].ValuesPerExample;
            switch (outputs[i])
            {
                case float[] floats:
                    result.GetTensorDataAsSpan<float>()[..values].CopyTo(floats);
                    break;
                case long[] longs:
                    result.GetTensorDataAsSpan<long>()[..values].CopyTo(longs);
                    break;
            }
            i++;
        }
    }

    /// <summary>Output buffers for <paramref name="batchSize"/> rows, typed like the graph's outputs.</summary>
    public Array[] NewOutputs(int batchSize) => Graph.Outputs
        .Select(o => o.ElementType == TensorProto.Types.DataType.Int64 ? (Array)new long[batchSize * o.ValuesPerExample] : new float[batchSize * o.ValuesPerExample])
        .ToArray();

    public void Dispose()
    {
        session.Dispose();
        runOptions.Dispose();
    }
}
