using MlNetDeep.Networks;

namespace MlNetDeep.Compression;

/// <summary>Removes units from a trained network: ranks them, keeps the best, slices the weights and resizes the layers.</summary>
internal static class StructuredPruning
{
    public static TrainedNetwork Prune(TrainedNetwork network, StructuredPruningOptions options)
    {
        options.Validate();
        var groups = Select(network.Spec, options.Layers);
        if (options.Criterion == PruningCriterion.BatchNormScale && options.Layers is null)
        {
            // Network slimming narrows what batch normalization follows; other groups are left as they are.
            groups = groups.Where(g => g.BatchNormScale is not null).ToList();
            if (groups.Count == 0)
                throw new ArgumentException("Option Criterion is BatchNormScale, but no unit group of the network has batch normalization after it; use L1Norm or L2Norm.",
                    nameof(StructuredPruningOptions.Criterion));
        }
        var scores = groups.Select(g => Scores(g, network.Weights, options.Criterion, normalizePerWeight: options.Scope == PruningScope.Global)).ToArray();
        var keep = options.Scope == PruningScope.PerLayer
            ? scores.Select(s => KeepBest(s, s.Length - (int)Math.Round(options.Fraction * s.Length))).ToArray()
            : KeepGlobal(scores, options.Fraction);

        var weights = network.Weights.ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        var layers = network.Spec.Layers.ToList();
        for (var g = 0; g < groups.Count; g++)
        {
            if (keep[g].Length == groups[g].Units)
                continue;
            foreach (var slice in groups[g].Slices)
            {
                if (!weights.TryGetValue(slice.Weight, out var weight))
                    throw new InvalidDataException($"The network has no weight '{slice.Weight}' to narrow for unit group '{groups[g].Name}'.");
                weights[slice.Weight] = Slice(weight, slice, keep[g]);
            }
            groups[g].Resize(layers, keep[g].Length);
        }
        return new TrainedNetwork(new NetworkSpec(network.Spec.InputShape, layers), weights, network.Task, network.ClassCount);
    }

    /// <summary>The groups named in <paramref name="names"/>, or all; an unknown or unprunable name is an error naming the option.</summary>
    public static IReadOnlyList<UnitGroup> Select(NetworkSpec spec, IReadOnlyList<string>? names)
    {
        var groups = UnitGroups.Find(spec);
        if (groups.Count == 0)
            throw new ArgumentException("The network has no units that can be removed: structured pruning narrows hidden fully connected layers, convolutions followed by another weight layer, and Transformer blocks.");
        if (names is null)
            return groups;
        var available = string.Join(", ", groups.Select(g => $"'{g.Name}' ({g.Description})"));
        return names.Select(name =>
        {
            if (groups.FirstOrDefault(g => g.Name == name) is { } group)
                return group;
            var reason = int.TryParse(name, out var index) && index >= 0 && index < spec.Layers.Count
                ? $"layer {index} ({spec.Layers[index].GetType().Name}) has no units that can be removed"
                : $"the network has no layer '{name}' (it has layers 0 to {spec.Layers.Count - 1})";
            throw new ArgumentOutOfRangeException(nameof(StructuredPruningOptions.Layers), name, $"Option Layers names '{name}', but {reason}; the unit groups are {available}.");
        }).ToList();
    }

    /// <summary>One score per unit of <paramref name="group"/>: the norm of its weights, or its batch normalization scale.</summary>
    public static float[] Scores(UnitGroup group, IReadOnlyDictionary<string, WeightTensor> weights, PruningCriterion criterion, bool normalizePerWeight)
    {
        if (criterion == PruningCriterion.BatchNormScale)
        {
            if (group.BatchNormScale is null)
                throw new ArgumentException(
                    $"Option Criterion is BatchNormScale, but unit group '{group.Name}' ({group.Description}) has no batch normalization after it; use L1Norm or L2Norm, or name other groups in Layers.",
                    nameof(StructuredPruningOptions.Criterion));
            return weights[group.BatchNormScale].Values.Select(MathF.Abs).ToArray();
        }
        var sums = new double[group.Units];
        long valuesPerUnit = 0;
        foreach (var slice in group.NormWeights)
        {
            var weight = weights[slice.Weight];
            var (outer, axisLength, inner) = Strides(weight.Shape, slice.Axis);
            valuesPerUnit += outer * slice.Block * inner;
            for (long o = 0; o < outer; o++)
            {
                for (long a = 0; a < axisLength; a++)
                {
                    var unit = (int)(a / slice.Block);
                    var start = (o * axisLength + a) * inner;
                    double sum = 0;
                    for (long k = 0; k < inner; k++)
                    {
                        var v = weight.Values[start + k];
                        sum += criterion == PruningCriterion.L1Norm ? Math.Abs(v) : (double)v * v;
                    }
                    sums[unit] += sum;
                }
            }
        }
        return sums.Select(s =>
        {
            var norm = criterion == PruningCriterion.L1Norm ? s : Math.Sqrt(s);
            // Per weight: mean absolute value, or root mean square, so that layers of different fan-in compare.
            return (float)(normalizePerWeight ? criterion == PruningCriterion.L1Norm ? norm / valuesPerUnit : norm / Math.Sqrt(valuesPerUnit) : norm);
        }).ToArray();
    }

    /// <summary>The indices of the <paramref name="count"/> best-scoring units (at least one), in their original order.</summary>
    private static int[] KeepBest(float[] scores, int count) =>
        Enumerable.Range(0, scores.Length).OrderByDescending(u => scores[u]).ThenBy(u => u).Take(Math.Max(1, count)).Order().ToArray();

    /// <summary>Removes <paramref name="fraction"/> of all units, lowest scores first, leaving every group at least one.</summary>
    private static int[][] KeepGlobal(float[][] scores, double fraction)
    {
        var remaining = scores.Select(s => s.Length).ToArray();
        var removed = scores.Select(s => new bool[s.Length]).ToArray();
        var toRemove = (int)Math.Round(fraction * scores.Sum(s => s.Length));
        foreach (var (group, unit) in scores.SelectMany((s, g) => s.Select((score, u) => (Group: g, Unit: u, Score: score)))
                     .OrderBy(x => x.Score).ThenBy(x => x.Group).ThenBy(x => x.Unit).Select(x => (x.Group, x.Unit)))
        {
            if (toRemove == 0)
                break;
            if (remaining[group] == 1)
                continue;
            removed[group][unit] = true;
            remaining[group]--;
            toRemove--;
        }
        return removed.Select(r => Enumerable.Range(0, r.Length).Where(u => !r[u]).ToArray()).ToArray();
    }

    /// <summary>The weight with only the kept units' blocks along the slice's axis.</summary>
    internal static WeightTensor Slice(WeightTensor weight, WeightSlice slice, int[] keep)
    {
        var (outer, axisLength, inner) = Strides(weight.Shape, slice.Axis);
        var block = slice.Block;
        var keptLength = keep.Length * block;
        var values = new float[outer * keptLength * inner];
        for (long o = 0; o < outer; o++)
        {
            for (var k = 0; k < keep.Length; k++)
            {
                var source = (o * axisLength + keep[k] * block) * inner;
                var target = (o * keptLength + k * block) * inner;
                Array.Copy(weight.Values, source, values, target, block * inner);
            }
        }
        var shape = (long[])weight.Shape.Clone();
        shape[slice.Axis] = keptLength;
        return new WeightTensor(shape, values);
    }

    private static (long Outer, long Axis, long Inner) Strides(long[] shape, int axis) =>
        (shape[..axis].Aggregate(1L, (a, b) => a * b), shape[axis], shape[(axis + 1)..].Aggregate(1L, (a, b) => a * b));
}
