using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Engine;

/// <summary>
/// Keeps an exponential moving average of the weights, updated after every optimizer step, and puts it in the network
/// for validation and at the end of each epoch, so early stopping, checkpoints and the fitted model all see the averaged
/// weights; training itself continues from the raw ones. The decay ramps up as (1 + n) / (10 + n) over the first steps
/// so the average is not dominated by the initial weights.
/// </summary>
internal sealed class WeightAverager(double decay) : TrainingCallback
{
    private Dictionary<string, Tensor>? average;
    private Dictionary<string, Tensor>? raw;
    private long updates;

    public override void OnTrainingBegin(TrainingContext context)
    {
        Release();
        average = Snapshot(context.Network);
        updates = 0;
    }

    public override void OnEpochBegin(TrainingContext context)
    {
        if (raw is null)
            return;
        Copy(raw, context.Network);
        Release(ref raw);
    }

    public override void OnBatchEnd(TrainingContext context, double loss)
    {
        var rate = 1 - Math.Min(decay, (1.0 + updates) / (10.0 + updates));
        updates++;
        using var noGrad = no_grad();
        foreach (var (name, value) in FloatState(context.Network))
            average![name].lerp_(value, rate);
    }

    public override void OnEpochTrainingEnd(TrainingContext context)
    {
        raw = Snapshot(context.Network);
        Copy(average!, context.Network);
    }

    public override void OnTrainingEnd(TrainingContext context)
    {
        Release(ref raw);
        Release(ref average);
    }

    public override void SaveState(CallbackState state)
    {
        state.Values["updates"] = updates;
        foreach (var (name, value) in average!)
            state.Weights["average." + name] = ToWeight(value);
        foreach (var (name, value) in raw ?? [])
            state.Weights["raw." + name] = ToWeight(value);
    }

    public override void LoadState(CallbackState state)
    {
        updates = state.Values["updates"]!.GetValue<long>();
        Load(state, "average.", average!);
        if (state.Weights.Keys.Any(k => k.StartsWith("raw.", StringComparison.Ordinal)))
        {
            raw = average!.ToDictionary(p => p.Key, p => p.Value.clone());
            Load(state, "raw.", raw);
        }
    }

    private static IEnumerable<(string Name, Tensor Value)> FloatState(nn.Module network) =>
        network.state_dict().Where(p => p.Value.dtype == ScalarType.Float32).Select(p => (p.Key, p.Value));

    private static Dictionary<string, Tensor> Snapshot(nn.Module network)
    {
        using var noGrad = no_grad();
        return FloatState(network).ToDictionary(p => p.Name, p => p.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void Copy(Dictionary<string, Tensor> source, nn.Module network)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in FloatState(network))
            value.copy_(source[name]);
    }

    private static WeightTensor ToWeight(Tensor value)
    {
        using var cpu = value.cpu();
        return new WeightTensor(value.shape, cpu.data<float>().ToArray());
    }

    private static void Load(CallbackState state, string prefix, Dictionary<string, Tensor> target)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in target)
        {
            var weight = state.Weights[prefix + name];
            using var source = tensor(weight.Values, weight.Shape);
            value.copy_(source);
        }
    }

    private void Release()
    {
        Release(ref raw);
        Release(ref average);
    }

    private static void Release(ref Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
            return;
        foreach (var value in tensors.Values)
            value.Dispose();
        tensors = null;
    }
}
