using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>A named network weight held in managed memory (row-major float32), so a fitted model keeps no native tensors alive.</summary>
internal sealed record WeightTensor(long[] Shape, float[] Values)
{
    /// <summary>Copies every floating-point parameter and buffer of <paramref name="module"/> to managed memory.</summary>
    public static Dictionary<string, WeightTensor> ReadAll(nn.Module module)
    {
        var weights = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        foreach (var (name, value) in module.state_dict())
        {
            if (value.dtype != ScalarType.Float32)
                continue; // e.g. BatchNorm's int64 batch counter, which inference does not use
            var cpu = value.detach().cpu().contiguous();
            weights[name] = new WeightTensor(cpu.shape, cpu.data<float>().ToArray());
        }
        return weights;
    }

    /// <summary>Copies <paramref name="weights"/> into the parameters and buffers of <paramref name="module"/>; every float32 entry must be present with its shape.</summary>
    public static void LoadAll(nn.Module module, IReadOnlyDictionary<string, WeightTensor> weights)
    {
        using var noGrad = no_grad();
        foreach (var (name, target) in module.state_dict())
        {
            if (target.dtype != ScalarType.Float32)
                continue;
            if (!weights.TryGetValue(name, out var weight))
                throw new InvalidDataException($"The saved network has no weight '{name}'.");
            if (!weight.Shape.SequenceEqual(target.shape))
                throw new InvalidDataException(
                    $"The saved weight '{name}' has shape [{string.Join(", ", weight.Shape)}] but the network expects [{string.Join(", ", target.shape)}].");
            using var source = tensor(weight.Values, weight.Shape);
            target.copy_(source);
        }
    }

    /// <summary>Copies each of <paramref name="weights"/> into the parameter or buffer of <paramref name="module"/> of that name; the module's other weights stay as they are.</summary>
    public static void LoadSome(nn.Module module, IReadOnlyDictionary<string, WeightTensor> weights)
    {
        using var noGrad = no_grad();
        var targets = module.state_dict();
        foreach (var (name, weight) in weights)
        {
            if (!targets.TryGetValue(name, out var target))
                throw new InvalidDataException($"The network has no weight '{name}' to load.");
            if (!weight.Shape.SequenceEqual(target.shape))
                throw new InvalidDataException(
                    $"The weight '{name}' has shape [{string.Join(", ", weight.Shape)}] but the network expects [{string.Join(", ", target.shape)}].");
            using var source = tensor(weight.Values, weight.Shape);
            target.copy_(source);
        }
    }
}
