using System.Globalization;
using MlNetDeep.Networks;

namespace MlNetDeep.Compression;

/// <summary>A slice of one weight along one axis: unit <c>u</c> owns the indices [u·Block, (u + 1)·Block).</summary>
internal sealed record WeightSlice(string Weight, int Axis, long Block = 1);

/// <summary>
/// A group of units that can be removed together: the producer's units (rows of its weight), the normalization after
/// them, and what reads them (columns of the next weight). Removing unit <c>u</c> slices every weight in
/// <see cref="Slices"/> and resizes the layers in <see cref="Resize"/>.
/// </summary>
internal sealed record UnitGroup(string Name, string Description, int Units, IReadOnlyList<WeightSlice> Slices,
    IReadOnlyList<WeightSlice> NormWeights, string? BatchNormScale, Action<IList<LayerSpec>, int> Resize);

/// <summary>Finds the unit groups of a network definition: the producer/consumer chains structured pruning can narrow.</summary>
internal static class UnitGroups
{
    public static IReadOnlyList<UnitGroup> Find(NetworkSpec spec)
    {
        var layers = spec.Layers;
        var inputShapes = new long[layers.Count][];
        var shape = spec.InputShape;
        for (var i = 0; i < layers.Count; i++)
        {
            inputShapes[i] = shape;
            shape = layers[i].OutputShape(shape);
        }
        var groups = new List<UnitGroup>();
        for (var i = 0; i < layers.Count; i++)
        {
            switch (layers[i])
            {
                case LinearLayer linear when DenseGroup(layers, i, linear) is { } group:
                    groups.Add(group);
                    break;
                case Conv2dLayer conv when ConvolutionGroup(layers, inputShapes, i, conv) is { } group:
                    groups.Add(group);
                    break;
                case TransformerEncoderLayer encoder:
                    groups.Add(HeadGroup(i, encoder));
                    groups.Add(FeedForwardGroup(i, encoder));
                    break;
            }
        }
        return groups;
    }

    private static string Name(int layer) => layer.ToString(CultureInfo.InvariantCulture);

    private static List<WeightSlice> ProducerSlices(int layer, bool hasBias) =>
        hasBias ? [new($"{layer}.weight", 0), new($"{layer}.bias", 0)] : [new($"{layer}.weight", 0)];

    private static IEnumerable<WeightSlice> NormSlices(int layer) =>
        new[] { "weight", "bias", "running_mean", "running_var" }.Select(w => new WeightSlice($"{layer}.{w}", 0));

    /// <summary>Linear → [BatchNorm] → activation/dropout … → Linear.</summary>
    private static UnitGroup? DenseGroup(IReadOnlyList<LayerSpec> layers, int producer, LinearLayer linear)
    {
        var norms = new List<int>();
        for (var j = producer + 1; j < layers.Count; j++)
        {
            switch (layers[j])
            {
                case BatchNormLayer:
                    norms.Add(j);
                    continue;
                case ActivationLayer or DropoutLayer:
                    continue;
                case LinearLayer:
                    var consumer = j;
                    return new UnitGroup(Name(producer), $"Linear({linear.InputFeatures} -> {linear.OutputFeatures}) neurons", (int)linear.OutputFeatures,
                        [.. ProducerSlices(producer, linear.HasBias), .. norms.SelectMany(NormSlices), new WeightSlice($"{consumer}.weight", 1)],
                        [new WeightSlice($"{producer}.weight", 0)], norms.Count > 0 ? $"{norms[0]}.weight" : null,
                        (specs, units) =>
                        {
                            specs[producer] = (LinearLayer)specs[producer] with { OutputFeatures = units };
                            foreach (var norm in norms)
                                specs[norm] = (BatchNormLayer)specs[norm] with { Features = units };
                            specs[consumer] = (LinearLayer)specs[consumer] with { InputFeatures = units };
                        });
                default:
                    return null;
            }
        }
        return null;
    }

    /// <summary>Conv2d → [BatchNorm2d] → activation/pooling/dropout/padding … → Conv2d, a residual block with a projection, or Flatten / global average pooling → Linear.</summary>
    private static UnitGroup? ConvolutionGroup(IReadOnlyList<LayerSpec> layers, long[][] inputShapes, int producer, Conv2dLayer conv)
    {
        var norms = new List<int>();
        for (var j = producer + 1; j < layers.Count; j++)
        {
            switch (layers[j])
            {
                case BatchNorm2dLayer:
                    norms.Add(j);
                    continue;
                case ActivationLayer or Pool2dLayer or DropoutLayer or Pad2dLayer or SamePad2dLayer:
                    continue;
                case Conv2dLayer:
                {
                    var consumer = j;
                    return Group([new WeightSlice($"{consumer}.weight", 1)],
                        (specs, units) => specs[consumer] = (Conv2dLayer)specs[consumer] with { InputChannels = units });
                }
                case ResidualBlockLayer { HasProjection: true }:
                {
                    var consumer = j;
                    return Group([new WeightSlice($"{consumer}.conv1.weight", 1), new WeightSlice($"{consumer}.shortcut_conv.weight", 1)],
                        (specs, units) => specs[consumer] = (ResidualBlockLayer)specs[consumer] with { InputChannels = units });
                }
                case FlattenLayer or GlobalAveragePoolLayer:
                {
                    var pixels = layers[j] is FlattenLayer ? inputShapes[j][1] * inputShapes[j][2] : 1;
                    var consumer = j + 1;
                    while (consumer < layers.Count && layers[consumer] is DropoutLayer or ActivationLayer)
                        consumer++;
                    if (consumer == layers.Count || layers[consumer] is not LinearLayer)
                        return null;
                    return Group([new WeightSlice($"{consumer}.weight", 1, pixels)],
                        (specs, units) => specs[consumer] = (LinearLayer)specs[consumer] with { InputFeatures = units * pixels });
                }
                default:
                    return null;
            }
        }
        return null;

        UnitGroup Group(WeightSlice[] consumerSlices, Action<IList<LayerSpec>, int> resizeConsumer) =>
            new(Name(producer), $"Conv2d({conv.InputChannels} -> {conv.OutputChannels}, {conv.KernelSize}×{conv.KernelSize}) channels", (int)conv.OutputChannels,
                [.. ProducerSlices(producer, conv.HasBias), .. norms.SelectMany(NormSlices), .. consumerSlices],
                [new WeightSlice($"{producer}.weight", 0)], norms.Count > 0 ? $"{norms[0]}.weight" : null,
                (specs, units) =>
                {
                    specs[producer] = (Conv2dLayer)specs[producer] with { OutputChannels = units };
                    foreach (var norm in norms)
                        specs[norm] = (BatchNorm2dLayer)specs[norm] with { Channels = units };
                    resizeConsumer(specs, units);
                });
    }

    /// <summary>A Transformer block's attention heads: rows of the query, key and value projections, columns of the output projection.</summary>
    private static UnitGroup HeadGroup(int layer, TransformerEncoderLayer encoder)
    {
        var headSize = encoder.HeadsSize / encoder.Heads;
        var prefix = $"{layer}.attention.";
        WeightSlice[] projections = [.. new[] { "query", "key", "value" }.Select(p => new WeightSlice($"{prefix}{p}.weight", 0, headSize))];
        return new UnitGroup($"{layer}.heads", $"Transformer encoder attention heads ({encoder.Heads} × {headSize})", (int)encoder.Heads,
            [.. projections, .. new[] { "query", "key", "value" }.Select(p => new WeightSlice($"{prefix}{p}.bias", 0, headSize)), new WeightSlice($"{prefix}output.weight", 1, headSize)],
            [.. projections, new WeightSlice($"{prefix}output.weight", 1, headSize)], null,
            (specs, units) =>
            {
                specs[layer] = (TransformerEncoderLayer)specs[layer] with { Heads = units, AttentionSize = units * headSize };
            });
    }

    /// <summary>A Transformer block's feed-forward units: rows of the first feed-forward layer, columns of the second.</summary>
    private static UnitGroup FeedForwardGroup(int layer, TransformerEncoderLayer encoder) =>
        new($"{layer}.feedforward", $"Transformer encoder feed-forward units ({encoder.FeedForwardSize})", (int)encoder.FeedForwardSize,
            [new($"{layer}.feedforward1.weight", 0), new($"{layer}.feedforward1.bias", 0), new($"{layer}.feedforward2.weight", 1)],
            [new($"{layer}.feedforward1.weight", 0)], null,
            (specs, units) =>
            {
                specs[layer] = (TransformerEncoderLayer)specs[layer] with { FeedForwardSize = units };
            });
}
