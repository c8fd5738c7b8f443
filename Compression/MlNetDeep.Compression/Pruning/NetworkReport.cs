using System.Globalization;
using System.Text;
using MlNetDeep.Compression;
using MlNetDeep.Networks;

namespace MlNetDeep;

/// <summary>One layer of a <see cref="NetworkReport"/>.</summary>
/// <param name="Name">The layer's number in the network, the prefix of its weights' names.</param>
/// <param name="Kind">The layer's type, e.g. "Linear(784 -> 256)".</param>
/// <param name="OutputShape">The shape of one example after the layer.</param>
/// <param name="Parameters">Values the layer stores: weights, biases and normalization statistics.</param>
/// <param name="NonZeroParameters">Of those, the values that are not zero.</param>
/// <param name="Sparsity">The fraction of zeros among the layer's weight matrices and kernels (what pruning acts on), or null when it has none.</param>
/// <param name="MultiplyAdds">Multiply-adds per example with dense weights (per step for sequences of unknown length).</param>
/// <param name="NonZeroMultiplyAdds">Multiply-adds per example that involve a non-zero weight: what sparse kernels would compute.</param>
public sealed record LayerReport(string Name, string Kind, string OutputShape, long Parameters, long NonZeroParameters, double? Sparsity,
    long MultiplyAdds, long NonZeroMultiplyAdds);

/// <summary>
/// A trained network layer by layer: parameters, sparsity and multiply-adds, and the names pruning takes (the prunable
/// weights for <see cref="PruningOptions.Weights"/>, the unit groups for <see cref="StructuredPruningOptions.Layers"/>).
/// </summary>
public sealed class NetworkReport
{
    private NetworkReport(IReadOnlyList<LayerReport> layers, IReadOnlyList<string> prunableWeights, IReadOnlyList<string> unitGroups, double sparsity)
    {
        Sparsity = sparsity;
        Layers = layers;
        PrunableWeights = prunableWeights;
        UnitGroups = unitGroups;
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<LayerReport> Layers { get; }

    /// <summary>The weights unstructured pruning and sparse training act on.</summary>
    public IReadOnlyList<string> PrunableWeights { get; }

    /// <summary>The unit groups structured pruning can narrow, as "name: description".</summary>
    public IReadOnlyList<string> UnitGroups { get; }

    /// <summary>The fraction of zeros among all weight matrices and kernels (what pruning and sparse training act on).</summary>
    public double Sparsity { get; }

    /// <summary>Values stored, over all layers.</summary>
    public long Parameters => Layers.Sum(l => l.Parameters);

    /// <summary>Non-zero values stored, over all layers.</summary>
    public long NonZeroParameters => Layers.Sum(l => l.NonZeroParameters);

    /// <summary>Multiply-adds per example with dense weights.</summary>
    public long MultiplyAdds => Layers.Sum(l => l.MultiplyAdds);

    /// <summary>Multiply-adds per example that involve a non-zero weight.</summary>
    public long NonZeroMultiplyAdds => Layers.Sum(l => l.NonZeroMultiplyAdds);

    /// <summary>The report of <paramref name="network"/>.</summary>
    public static NetworkReport Of(TrainedNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var layers = new List<LayerReport>();
        var shape = network.Spec.InputShape;
        for (var i = 0; i < network.Spec.Layers.Count; i++)
        {
            var layer = network.Spec.Layers[i];
            var output = layer.OutputShape(shape);
            var prefix = i.ToString(CultureInfo.InvariantCulture) + ".";
            var own = network.Weights.Where(w => w.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            var matrices = own.Where(w => Compression.PrunableWeights.IsPrunable(w.Key, w.Value.Shape)).ToList();
            var matrixValues = matrices.Sum(w => (long)w.Value.Values.Length);
            var (dense, nonZero) = LayerMultiplyAdds(layer, shape, output, prefix, network.Weights);
            layers.Add(new LayerReport(i.ToString(CultureInfo.InvariantCulture), Describe(layer), $"[{string.Join(", ", output)}]",
                own.Sum(w => (long)w.Value.Values.Length), own.Sum(w => NonZero(w.Value)),
                matrixValues == 0 ? null : 1 - (double)matrices.Sum(w => NonZero(w.Value)) / matrixValues, dense, nonZero));
            shape = output;
        }
        var prunable = network.Weights.Where(w => Compression.PrunableWeights.IsPrunable(w.Key, w.Value.Shape)).Select(w => w.Key).OrderBy(n => n, LayerOrder.Instance).ToList();
        var groups = Compression.UnitGroups.Find(network.Spec).Select(g => $"{g.Name}: {g.Description}").ToList();
        var prunableValues = prunable.Select(n => network.Weights[n]).ToList();
        var sparsity = prunableValues.Count == 0 ? 0 : 1 - (double)prunableValues.Sum(NonZero) / prunableValues.Sum(w => (long)w.Values.Length);
        return new NetworkReport(layers, prunable, groups, sparsity);
    }

    /// <summary>The report as a text table.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"layer",-5} {"kind",-44} {"output",-14} {"parameters",12} {"non-zero",12} {"sparsity",8} {"multiply-adds",14} {"non-zero MACs",14}");
        foreach (var l in Layers)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{l.Name,-5} {Truncate(l.Kind, 44),-44} {l.OutputShape,-14} {l.Parameters,12:N0} {l.NonZeroParameters,12:N0} {(l.Sparsity is { } s ? s.ToString("P1", CultureInfo.InvariantCulture) : ""),8} {l.MultiplyAdds,14:N0} {l.NonZeroMultiplyAdds,14:N0}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"total",-5} {"",-44} {"",-14} {Parameters,12:N0} {NonZeroParameters,12:N0} {"",8} {MultiplyAdds,14:N0} {NonZeroMultiplyAdds,14:N0}");
        return text.ToString();
    }

    internal static string Describe(LayerSpec layer) => layer switch
    {
        LinearLayer l => $"Linear({l.InputFeatures} -> {l.OutputFeatures})",
        Conv2dLayer c => $"Conv2d({c.InputChannels} -> {c.OutputChannels}, {c.KernelSize}×{c.KernelSize}, stride {c.Stride})",
        BatchNormLayer b => $"BatchNorm({b.Features})",
        BatchNorm2dLayer b => $"BatchNorm2d({b.Channels})",
        ActivationLayer a => a.Kind.ToString(),
        Pool2dLayer p => $"{p.Kind}Pool({p.KernelSize}×{p.KernelSize})",
        ResidualBlockLayer r => $"ResidualBlock({r.InputChannels} -> {r.OutputChannels}, stride {r.Stride})",
        TransformerEncoderLayer t => $"TransformerEncoder(d {t.Dimensions}, {t.Heads} heads × {t.HeadsSize / t.Heads}, ff {t.FeedForwardSize})",
        RecurrentLayer r => $"{r.Kind}({r.InputSize} -> {r.HiddenSize}{(r.Bidirectional ? ", bidirectional" : "")})",
        _ => layer.GetType().Name.Replace("Layer", "", StringComparison.Ordinal),
    };

    private static long NonZero(WeightTensor weight) => weight.Values.LongCount(v => v != 0);

    /// <summary>Dense and non-zero multiply-adds of one example through <paramref name="layer"/>.</summary>
    private static (long Dense, long NonZero) LayerMultiplyAdds(LayerSpec layer, long[] input, long[] output, string prefix, IReadOnlyDictionary<string, WeightTensor> weights)
    {
        var matrices = weights.Where(w => w.Key.StartsWith(prefix, StringComparison.Ordinal) && Compression.PrunableWeights.IsPrunable(w.Key, w.Value.Shape))
            .Select(w => w.Value).ToList();
        var (size, nonZero) = (matrices.Sum(w => (long)w.Values.Length), matrices.Sum(NonZero));
        switch (layer)
        {
            case Conv2dLayer or ResidualBlockLayer:
                // Every kernel weight meets each output pixel once.
                var pixels = output[1] * output[2];
                return (size * pixels, nonZero * pixels);
            case ResidualLayer residual:
                var (main, mainNonZero) = Branch(residual.Main, prefix + "main.");
                var (shortcut, shortcutNonZero) = Branch(residual.Shortcut, prefix + "shortcut.");
                return (main + shortcut, mainNonZero + shortcutNonZero);
            case TransformerEncoderLayer encoder:
                var steps = Math.Max(input[0], 1);
                var attention = 2 * steps * steps * encoder.HeadsSize;
                return (steps * size + attention, steps * nonZero + attention);
            case TokenEmbeddingLayer:
                return (0, 0);
            default:
                // Weight matrices apply once per example, or once per step of a sequence.
                var positions = input.Length == 2 ? Math.Max(input[0], 1) : 1;
                return (positions * size, positions * nonZero);
        }

        (long Dense, long NonZero) Branch(IReadOnlyList<LayerSpec> branch, string branchPrefix)
        {
            var (dense, sparse) = (0L, 0L);
            var shape = input;
            for (var j = 0; j < branch.Count; j++)
            {
                var next = branch[j].OutputShape(shape);
                var (d, s) = LayerMultiplyAdds(branch[j], shape, next, branchPrefix + j.ToString(CultureInfo.InvariantCulture) + ".", weights);
                (dense, sparse, shape) = (dense + d, sparse + s, next);
            }
            return (dense, sparse);
        }
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
