using MlNetDeep.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetDeep.Compression;

/// <summary>
/// Which weights pruning and sparse training act on: weight matrices and convolution kernels (rank 2 or more, named
/// <c>weight…</c>), never biases, normalization scales or statistics. Names are the network's weight names, e.g.
/// <c>"1.weight"</c> or <c>"4.conv1.weight"</c> (<see cref="NetworkReport"/> lists them).
/// </summary>
internal static class PrunableWeights
{
    public static bool IsPrunable(string name, long[] shape) =>
        shape.Length >= 2 && name[(name.LastIndexOf('.') + 1)..].StartsWith("weight", StringComparison.Ordinal);

    /// <summary>The prunable parameters of <paramref name="network"/>, or those named in <paramref name="names"/> (checked, naming <paramref name="option"/>).</summary>
    public static IReadOnlyList<(string Name, Parameter Weight)> Select(nn.Module network, IReadOnlyList<string>? names, string option)
    {
        var parameters = network.named_parameters().ToList();
        var prunable = parameters.Where(p => IsPrunable(p.name, p.parameter.shape)).ToList();
        if (prunable.Count == 0)
            throw new ArgumentException("The network has no weight matrix or convolution kernel to prune.");
        if (names is null)
            return prunable;
        return names.Select(name => prunable.FirstOrDefault(p => p.name == name) is { parameter: not null } found
            ? found
            : throw new ArgumentOutOfRangeException(option, name, NotPrunable(name, parameters.Select(p => (p.name, p.parameter.shape)), option))).ToList();
    }

    /// <summary>The same check on a trained network's stored weights.</summary>
    public static IReadOnlyList<string> Select(IReadOnlyDictionary<string, WeightTensor> weights, IReadOnlyList<string>? names, string option)
    {
        var prunable = weights.Where(w => IsPrunable(w.Key, w.Value.Shape)).Select(w => w.Key).OrderBy(n => n, LayerOrder.Instance).ToList();
        if (prunable.Count == 0)
            throw new ArgumentException("The network has no weight matrix or convolution kernel to prune.");
        if (names is null)
            return prunable;
        return names.Select(name => prunable.Contains(name)
            ? name
            : throw new ArgumentOutOfRangeException(option, name, NotPrunable(name, weights.Select(w => (w.Key, w.Value.Shape)), option))).ToList();
    }

    private static string NotPrunable(string name, IEnumerable<(string Name, long[] Shape)> all, string option)
    {
        var list = all.ToList();
        var candidates = string.Join(", ", list.Where(w => IsPrunable(w.Name, w.Shape)).Select(w => w.Name).OrderBy(n => n, LayerOrder.Instance));
        return list.FirstOrDefault(w => w.Name == name) is { Name: not null } existing
            ? $"Option {option} names '{name}' (shape [{string.Join(", ", existing.Shape)}]), which cannot be pruned: only weight matrices and convolution kernels can ({candidates})."
            : $"Option {option} names '{name}', which is not a weight of the network; its prunable weights are {candidates}.";
    }
}

/// <summary>Orders weight names by layer number first ("2.weight" before "10.weight"), then by name.</summary>
internal sealed class LayerOrder : IComparer<string>
{
    public static LayerOrder Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        var (a, b) = (Layer(x!), Layer(y!));
        return a != b ? a.CompareTo(b) : string.CompareOrdinal(x, y);
    }

    private static int Layer(string name) => int.TryParse(name.Split('.')[0], out var layer) ? layer : int.MaxValue;
}

/// <summary>Binary masks (1 keeps a weight, 0 removes it) over some of a network's weights, re-applied to weights and gradients.</summary>
internal sealed class WeightMasks : IDisposable
{
    private readonly List<(string Name, Parameter Weight, Tensor Mask)> entries = [];

    public WeightMasks(IReadOnlyList<(string Name, Parameter Weight)> weights)
    {
        foreach (var (name, weight) in weights)
            entries.Add((name, weight, ones_like(weight).DetachFromDisposeScope()));
    }

    public IEnumerable<(string Name, Parameter Weight, Tensor Mask)> Entries => entries;

    public long Count => entries.Sum(e => e.Weight.numel());

    /// <summary>The fraction of masked-out weights.</summary>
    public double Sparsity => 1 - entries.Sum(e => e.Mask.sum().item<float>()) / Count;

    /// <summary>Zeroes the masked weights.</summary>
    public void ApplyToWeights()
    {
        using var noGrad = no_grad();
        foreach (var (_, weight, mask) in entries)
            weight.mul_(mask);
    }

    /// <summary>Zeroes the gradients of masked weights, so optimizer state builds up only for the weights that remain.</summary>
    public void ApplyToGradients()
    {
        foreach (var (_, weight, mask) in entries)
            weight.grad?.mul_(mask);
    }

    /// <summary>Sets each mask to keep the weights of largest magnitude: all weights ranked together (global) or each weight on its own.</summary>
    public void SetByMagnitude(double sparsity, PruningScope scope)
    {
        using var disposeScope = NewDisposeScope();
        using var noGrad = no_grad();
        if (scope == PruningScope.PerLayer)
        {
            foreach (var (_, weight, mask) in entries)
                mask.copy_(MagnitudeMask([weight], sparsity)[0]);
            return;
        }
        var masks = MagnitudeMask(entries.Select(e => (Tensor)e.Weight).ToArray(), sparsity);
        for (var i = 0; i < entries.Count; i++)
            entries[i].Mask.copy_(masks[i]);
    }

    /// <summary>Masks removing exactly round(sparsity × n) of the n weights, those of smallest magnitude (ties broken by position).</summary>
    public static Tensor[] MagnitudeMask(IReadOnlyList<Tensor> weights, double sparsity)
    {
        var scores = cat(weights.Select(w => w.detach().abs().flatten()).ToArray());
        var total = scores.shape[0];
        var removed = (long)Math.Round(sparsity * total);
        var flat = ones(total, device: scores.device);
        if (removed > 0)
            flat.index_fill_(0, scores.topk((int)removed, largest: false, sorted: false).indexes, 0);
        var masks = new Tensor[weights.Count];
        long offset = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            masks[i] = flat.narrow(0, offset, weights[i].numel()).view(weights[i].shape);
            offset += weights[i].numel();
        }
        return masks;
    }

    public void Save(CallbackState state)
    {
        foreach (var (name, _, mask) in entries)
        {
            using var cpu = mask.cpu();
            state.Weights["mask." + name] = new WeightTensor(mask.shape, cpu.data<float>().ToArray());
        }
    }

    public void Load(CallbackState state)
    {
        using var noGrad = no_grad();
        foreach (var (name, _, mask) in entries)
        {
            var saved = state.Weights["mask." + name];
            using var values = tensor(saved.Values, saved.Shape);
            mask.copy_(values);
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, mask) in entries)
            mask.Dispose();
        entries.Clear();
    }
}
