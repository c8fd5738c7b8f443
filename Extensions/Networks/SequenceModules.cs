using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.utils.rnn;

namespace MlNetDeep.Networks;

/// <summary>TorchSharp module for <see cref="SequenceLayoutLayer"/>.</summary>
internal sealed class SequenceLayoutModule(long steps, long features) : nn.Module<Tensor, Tensor>("SequenceLayout")
{
    public override Tensor forward(Tensor input) => input.reshape(-1, steps, features);
}

/// <summary>TorchSharp module for <see cref="ImagePatchesLayer"/>.</summary>
internal sealed class ImagePatchesModule(ImagePatchesLayer spec) : nn.Module<Tensor, Tensor>("ImagePatches")
{
    public override Tensor forward(Tensor input)
    {
        var (rows, columns, size) = (spec.Height / spec.PatchSize, spec.Width / spec.PatchSize, spec.PatchSize);
        return input.reshape(-1, spec.Channels, rows, size, columns, size).permute(0, 2, 4, 1, 3, 5)
            .reshape(-1, rows * columns, spec.Channels * size * size);
    }
}

/// <summary>TorchSharp module for <see cref="TokenEmbeddingLayer"/>: padded batches of keys [B, T] in, embeddings and the padding mask out.</summary>
internal sealed class TokenEmbeddingModule : nn.Module<Tensor, Tensor>, ISequenceModule
{
    private readonly Embedding table;
    private readonly long maxLength;
    private readonly long unknownToken;

    public TokenEmbeddingModule(TokenEmbeddingLayer spec) : base("TokenEmbedding")
    {
        table = nn.Embedding(spec.KeyCount + 2, spec.Dimensions, padding_idx: 0);
        maxLength = spec.MaxLength;
        unknownToken = spec.UnknownToken;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Forward(input, null).Values;

    public (Tensor Values, Tensor? Mask) Forward(Tensor input, Tensor? mask)
    {
        var tokens = input.shape[1] switch
        {
            0 => zeros(input.shape[0], 1, input.dtype, input.device),
            var length when length > maxLength => input.narrow(1, 0, maxLength),
            _ => input,
        };
        var present = tokens.ge(0);
        var keys = tokens.to(ScalarType.Int64);
        // Key 0 (missing from the dictionary) → the unknown token's row; padding (-1) → row 0.
        var rows = keys.masked_fill(keys.eq(0), unknownToken).clamp_min(0);
        return (table.forward(rows), present);
    }
}

/// <summary>Applies a module along the last axis of every step, passing the padding mask on (<see cref="SequenceProjectionLayer"/>).</summary>
internal sealed class StepwiseModule : nn.Module<Tensor, Tensor>, ISequenceModule
{
    private readonly nn.Module<Tensor, Tensor> inner;

    public StepwiseModule(nn.Module<Tensor, Tensor> inner) : base("Stepwise")
    {
        this.inner = inner;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => inner.forward(input);

    public (Tensor Values, Tensor? Mask) Forward(Tensor input, Tensor? mask) => (inner.forward(input), mask);
}

/// <summary>TorchSharp module for <see cref="RecurrentLayer"/>; padded batches run packed, so padding never changes a state.</summary>
internal sealed class RecurrentModule : nn.Module<Tensor, Tensor>, ISequenceModule
{
    private readonly nn.Module rnn;
    private readonly RecurrentLayer spec;

    public RecurrentModule(RecurrentLayer spec) : base("Recurrent")
    {
        this.spec = spec;
        rnn = spec.Kind == RecurrentKind.Lstm
            ? nn.LSTM(spec.InputSize, spec.HiddenSize, spec.Layers, batchFirst: true, dropout: spec.Dropout, bidirectional: spec.Bidirectional)
            : nn.GRU(spec.InputSize, spec.HiddenSize, spec.Layers, batchFirst: true, dropout: spec.Dropout, bidirectional: spec.Bidirectional);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Forward(input, null).Values;

    public (Tensor Values, Tensor? Mask) Forward(Tensor input, Tensor? mask)
    {
        Tensor output, finalStates;
        if (mask is null)
        {
            (output, finalStates) = Run(input);
        }
        else
        {
            using var lengths = mask.sum(1).cpu();
            using var packed = pack_padded_sequence(input, lengths, batch_first: true, enforce_sorted: false);
            var (packedOutput, states) = Run(packed);
            using (packedOutput)
                (output, _) = pad_packed_sequence(packedOutput, batch_first: true, total_length: input.shape[1]);
            finalStates = states;
        }
        if (spec.ReturnSequence)
            return (output, mask);
        // h_n is [layers × directions, B, H]: the last layer's directions, batch first, forward then backward.
        var lastLayer = finalStates.narrow(0, (spec.Layers - 1) * spec.Directions, spec.Directions);
        return (lastLayer.permute(1, 0, 2).reshape(input.shape[0], -1), null);
    }

    private (Tensor Output, Tensor FinalStates) Run(Tensor input)
    {
        if (rnn is LSTM lstm)
        {
            var (output, h, _) = lstm.call(input);
            return (output, h);
        }
        return ((GRU)rnn).call(input);
    }

    private (PackedSequence Output, Tensor FinalStates) Run(PackedSequence input)
    {
        if (rnn is LSTM lstm)
        {
            var (output, h, _) = lstm.call(input);
            return (output, h);
        }
        return ((GRU)rnn).call(input);
    }
}

/// <summary>TorchSharp module for <see cref="SequencePoolingLayer"/>.</summary>
internal sealed class SequencePoolingModule : nn.Module<Tensor, Tensor>, ISequenceModule
{
    private readonly SequencePooling kind;
    private readonly Linear? score;

    public SequencePoolingModule(SequencePooling kind, long features) : base("SequencePooling")
    {
        this.kind = kind;
        if (kind == SequencePooling.Attention)
            score = nn.Linear(features, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Forward(input, null).Values;

    public (Tensor Values, Tensor? Mask) Forward(Tensor input, Tensor? mask)
    {
        switch (kind)
        {
            case SequencePooling.First:
                return (input.select(1, 0), null);
            case SequencePooling.Mean when mask is null:
                return (input.mean([1]), null);
            case SequencePooling.Mean:
                var present = mask.unsqueeze(-1).to(input.dtype);
                return ((input * present).sum(1) / present.sum(1), null);
            default:
                var weights = AttentionWeights(input, mask);
                return ((input * weights.unsqueeze(-1)).sum(1), null);
        }
    }

    /// <summary>The attention weights over the steps [B, T]: a softmax of linear scores, zero on padding.</summary>
    public Tensor AttentionWeights(Tensor input, Tensor? mask)
    {
        var scores = score!.forward(input).squeeze(-1);
        if (mask is not null)
            scores = scores.masked_fill(mask.logical_not(), float.NegativeInfinity);
        return nn.functional.softmax(scores, 1);
    }
}
