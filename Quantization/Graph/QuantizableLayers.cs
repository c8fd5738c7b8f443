using Onnx;

namespace MlNetDeep.Quantization;

/// <summary>
/// A layer quantization can turn into integer arithmetic: a Conv, a Gemm taking its weight as <c>[out, in]</c>, or a MatMul
/// whose weight is an initializer seen through a Transpose (MlNetDeep's sequence projections). Its name is the weight's
/// name without ".weight" — the MlNetDeep layer ("2", "6.conv1", "3.query"), which options and reports use.
/// </summary>
internal sealed record QuantizableLayer(string Name, NodeProto Node, string WeightName, bool WeightTransposed);

internal static class QuantizableLayers
{
    public static List<QuantizableLayer> Find(GraphEditor graph)
    {
        var layers = new List<QuantizableLayer>();
        foreach (var node in graph.Graph.Node)
        {
            switch (node.OpType)
            {
                case "Conv" when graph.Initializer(node.Input[1]) is not null && GraphEditor.Int(node, "group", 1) == 1:
                    layers.Add(new QuantizableLayer(NameOf(node.Input[1]), node, node.Input[1], false));
                    break;
                case "Gemm" when graph.Initializer(node.Input[1]) is not null && GraphEditor.Int(node, "transB", 0) == 1 && GraphEditor.Int(node, "transA", 0) == 0:
                    layers.Add(new QuantizableLayer(NameOf(node.Input[1]), node, node.Input[1], false));
                    break;
                case "MatMul" when graph.Producer(node.Input[1]) is { OpType: "Transpose" } transpose && graph.Initializer(transpose.Input[0]) is { Dims.Count: 2 }
                                   && transpose.Attribute.All(a => a.Name != "perm" || a.Ints.SequenceEqual([1L, 0L])):
                    layers.Add(new QuantizableLayer(NameOf(transpose.Input[0]), node, transpose.Input[0], true));
                    break;
            }
        }
        return layers;
    }

    /// <summary>The layers <paramref name="options"/> leave to quantization; unknown names in <see cref="QuantizationOptions.KeepFloatLayers"/> are an error listing the known ones.</summary>
    public static List<QuantizableLayer> Selected(List<QuantizableLayer> layers, QuantizationOptions options)
    {
        var unknown = options.KeepFloatLayers.Where(name => layers.All(l => l.Name != name)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentOutOfRangeException(nameof(options), string.Join(", ", unknown),
                $"Option KeepFloatLayers names {string.Join(", ", unknown.Select(n => $"'{n}'"))}, which the model does not have; its quantizable layers are {string.Join(", ", layers.Select(l => l.Name))}.");
        return layers.Where((layer, i) => !options.KeepFloatLayers.Contains(layer.Name)
            && !(options.KeepFirstLayerFloat && i == 0) && !(options.KeepLastLayerFloat && i == layers.Count - 1)).ToList();
    }

    private static string NameOf(string weight)
    {
        var at = weight.IndexOf(".weight", StringComparison.Ordinal);
        return at > 0 ? weight[..at] : weight;
    }
}
