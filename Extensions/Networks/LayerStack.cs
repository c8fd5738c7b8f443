using System.Globalization;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>
/// A module of a sequence layer: it maps a batch of sequences <c>[B, T, …]</c> with an optional padding mask <c>[B, T]</c>
/// (true where a step holds data) to new values and the mask that goes with them (null once the time axis is gone).
/// </summary>
internal interface ISequenceModule
{
    (Tensor Values, Tensor? Mask) Forward(Tensor input, Tensor? mask);
}

/// <summary>
/// The layers of a network applied in order, as a TorchSharp <c>Sequential</c> would (child <c>i</c> owns the weights
/// <c>"{i}.…"</c>), but carrying the padding mask of variable-length sequences from one sequence layer to the next.
/// </summary>
internal sealed class LayerStack : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor>[] layers;

    public LayerStack(IEnumerable<nn.Module<Tensor, Tensor>> layers) : base("LayerStack")
    {
        this.layers = layers.ToArray();
        for (var i = 0; i < this.layers.Length; i++)
            register_module(i.ToString(CultureInfo.InvariantCulture), this.layers[i]);
    }

    public override Tensor forward(Tensor input)
    {
        var values = input;
        Tensor? mask = null;
        foreach (var layer in layers)
        {
            if (layer is ISequenceModule sequence)
                (values, mask) = sequence.Forward(values, mask);
            else
                values = layer.forward(values);
        }
        return values;
    }
}
