using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>TorchSharp module for <see cref="PositionalEncodingLayer"/>; the table is a buffer, so it is exported with the weights.</summary>
internal sealed class PositionalEncodingModule : nn.Module<Tensor, Tensor>, ISequenceModule
{
    public PositionalEncodingModule(long maxLength, long dimensions) : base("PositionalEncoding")
    {
        var table = new float[maxLength * dimensions];
        for (long position = 0; position < maxLength; position++)
        {
            for (long feature = 0; feature < dimensions; feature++)
            {
                var angle = position / Math.Pow(10000, 2.0 * (feature / 2) / dimensions);
                table[position * dimensions + feature] = (float)(feature % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle));
            }
        }
        register_buffer("table", tensor(table, [maxLength, dimensions]));
    }

    public override Tensor forward(Tensor input) => Forward(input, null).Values;

    public (Tensor Values, Tensor? Mask) Forward(Tensor input, Tensor? mask) =>
        (input + get_buffer("table")!.narrow(0, 0, input.shape[1]), mask);
}

/// <summary>TorchSharp module for <see cref="ClassTokenLayer"/>.</summary>
internal sealed class ClassTokenModule : nn.Module<Tensor, Tensor>, ISequenceModule
{
    private readonly Parameter token;

    public ClassTokenModule(long dimensions) : base("ClassToken")
    {
        token = nn.Parameter(randn(1, 1, dimensions).mul_(0.02));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Forward(input, null).Values;

    public (Tensor Values, Tensor? Mask) Forward(Tensor input, Tensor? mask)
    {
        var batch = input.shape[0];
        var values = cat([token.expand(batch, 1, token.shape[2]), input], 1);
        return (values, mask is null ? null : cat([ones(batch, 1, dtype: ScalarType.Bool, device: mask.device), mask], 1));
    }
}

/// <summary>Multi-head self-attention with explicit query, key, value and output projections.</summary>
internal sealed class MultiHeadSelfAttentionModule : nn.Module<Tensor, Tensor>
{
    private readonly Linear query, key, value, output;
    private readonly long heads;

    public MultiHeadSelfAttentionModule(long dimensions, long heads, long? attentionSize = null) : base("MultiHeadSelfAttention")
    {
        this.heads = heads;
        var size = attentionSize ?? dimensions;
        query = nn.Linear(dimensions, size);
        key = nn.Linear(dimensions, size);
        value = nn.Linear(dimensions, size);
        output = nn.Linear(size, dimensions);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Attend(input, null);

    public Tensor Attend(Tensor input, Tensor? mask)
    {
        var (batch, steps) = (input.shape[0], input.shape[1]);
        var weights = AttentionWeights(input, mask);
        var context = weights.matmul(SplitHeads(value.forward(input))).transpose(1, 2).reshape(batch, steps, -1);
        return output.forward(context);
    }

    /// <summary>Each head's attention weights [B, heads, T, T]: every row sums to one over the unpadded steps.</summary>
    public Tensor AttentionWeights(Tensor input, Tensor? mask)
    {
        var q = SplitHeads(query.forward(input));
        var k = SplitHeads(key.forward(input));
        var scores = q.matmul(k.transpose(-2, -1)).div_(Math.Sqrt(q.shape[3]));
        if (mask is not null)
            scores = scores.masked_fill(mask.logical_not().reshape(input.shape[0], 1, 1, input.shape[1]), float.NegativeInfinity);
        return nn.functional.softmax(scores, -1);
    }

    private Tensor SplitHeads(Tensor projected) =>
        projected.reshape(projected.shape[0], projected.shape[1], heads, -1).transpose(1, 2);
}

/// <summary>TorchSharp module for <see cref="TransformerEncoderLayer"/>; submodule names are the weight names the ONNX export reads.</summary>
internal sealed class TransformerEncoderModule : nn.Module<Tensor, Tensor>, ISequenceModule
{
    private readonly MultiHeadSelfAttentionModule attention;
    private readonly LayerNorm norm1, norm2;
    private readonly Linear feedforward1, feedforward2;
    private readonly nn.Module<Tensor, Tensor> dropout, activation;

    public TransformerEncoderModule(TransformerEncoderLayer spec) : base("TransformerEncoder")
    {
        attention = new MultiHeadSelfAttentionModule(spec.Dimensions, spec.Heads, spec.AttentionSize);
        norm1 = nn.LayerNorm(spec.Dimensions);
        norm2 = nn.LayerNorm(spec.Dimensions);
        feedforward1 = nn.Linear(spec.Dimensions, spec.FeedForwardSize);
        feedforward2 = nn.Linear(spec.FeedForwardSize, spec.Dimensions);
        dropout = nn.Dropout(spec.Dropout);
        activation = nn.GELU();
        RegisterComponents();
    }

    internal MultiHeadSelfAttentionModule Attention => attention;

    public override Tensor forward(Tensor input) => Forward(input, null).Values;

    public (Tensor Values, Tensor? Mask) Forward(Tensor input, Tensor? mask)
    {
        var h = input + dropout.forward(attention.Attend(norm1.forward(input), mask));
        var hidden = dropout.forward(activation.forward(feedforward1.forward(norm2.forward(h))));
        return (h + dropout.forward(feedforward2.forward(hidden)), mask);
    }
}
