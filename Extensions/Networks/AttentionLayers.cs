using MlNetDeep.Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

/// <summary>
/// Adds fixed sinusoidal position encodings (sin on even, cos on odd features, wavelengths up to 10000·2π) to a
/// sequence of at most <paramref name="MaxLength"/> steps of <paramref name="Dimensions"/> features.
/// </summary>
public sealed record PositionalEncodingLayer(long MaxLength, long Dimensions) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new PositionalEncodingModule(MaxLength, Dimensions);

    internal override long[] OutputShape(long[] inputShape)
    {
        var steps = SequenceLayers.RequireSequence(inputShape, Dimensions, $"Positional encoding ({Dimensions})");
        if (steps > MaxLength)
            throw new InvalidOperationException($"Positional encoding covers {MaxLength} steps but the sequence has {steps}.");
        return inputShape;
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        var steps = graph.Node("Shape", [input], OnnxGraph.Attribute("start", 1L), OnnxGraph.Attribute("end", 2L));
        var positions = graph.Node("Slice", [graph.Initializer(weightPrefix + "table"), graph.Constant(0L), steps, graph.Constant(0L)]);
        return graph.Node("Add", [input, positions]);
    }
}

/// <summary>Puts a learned [CLS] vector of <paramref name="Dimensions"/> features before the first step (pool it with <see cref="SequencePooling.First"/>).</summary>
public sealed record ClassTokenLayer(long Dimensions) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new ClassTokenModule(Dimensions);

    internal override long[] OutputShape(long[] inputShape)
    {
        var steps = SequenceLayers.RequireSequence(inputShape, Dimensions, $"Class token ({Dimensions})");
        return [steps < 0 ? -1 : steps + 1, Dimensions];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        // One token per example: [1, 1, D] expanded to the batch, so the graph also scores several examples at once.
        var batch = graph.Node("Shape", [input], OnnxGraph.Attribute("start", 0L), OnnxGraph.Attribute("end", 1L));
        var tokens = graph.Node("Expand", [graph.Initializer(weightPrefix + "token"), graph.Node("Concat", [batch, graph.Constant(1L, Dimensions)], OnnxGraph.Attribute("axis", 0L))]);
        return graph.Node("Concat", [tokens, input], OnnxGraph.Attribute("axis", 1L));
    }
}

/// <summary>Layer normalization over the features of every step (learned scale and shift, ε = 1e-5).</summary>
public sealed record SequenceLayerNormLayer(long Dimensions) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new StepwiseModule(nn.LayerNorm(Dimensions));

    internal override long[] OutputShape(long[] inputShape)
    {
        SequenceLayers.RequireSequence(inputShape, Dimensions, $"Layer normalization ({Dimensions})");
        return inputShape;
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) => AttentionOnnx.LayerNorm(graph, input, weightPrefix + "inner.");
}

/// <summary>
/// One Transformer encoder block (pre-normalization): <c>h = x + Dropout(SelfAttention(LayerNorm(x)))</c>, then
/// <c>h + Dropout(W₂ Dropout(GELU(W₁ LayerNorm(h))))</c>. Self-attention has <paramref name="Heads"/> heads with explicit
/// query, key and value projections of <paramref name="Dimensions"/> split across the heads, an output projection, and
/// ignores padded steps.
/// </summary>
public sealed record TransformerEncoderLayer(long Dimensions, long Heads, long FeedForwardSize, double Dropout = 0.1) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new TransformerEncoderModule(this);

    internal override long[] OutputShape(long[] inputShape)
    {
        SequenceLayers.RequireSequence(inputShape, Dimensions, $"Transformer encoder ({Dimensions})");
        if (Heads < 1 || Dimensions % Heads != 0)
            throw new InvalidOperationException($"Transformer encoder: {Dimensions} dimensions do not split into {Heads} heads.");
        return inputShape;
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        var attention = AttentionOnnx.SelfAttention(graph, AttentionOnnx.LayerNorm(graph, input, weightPrefix + "norm1."), weightPrefix + "attention.", Dimensions, Heads);
        var h = graph.Node("Add", [input, attention]);
        var hidden = SequenceLayers.EmitLinear(graph, AttentionOnnx.LayerNorm(graph, h, weightPrefix + "norm2."), weightPrefix + "feedforward1.");
        var activated = new ActivationLayer(ActivationKind.Gelu).EmitOnnx(graph, hidden, weightPrefix);
        return graph.Node("Add", [h, SequenceLayers.EmitLinear(graph, activated, weightPrefix + "feedforward2.")]);
    }
}

/// <summary>ONNX pieces of the attention layers, for one example [1, T, D].</summary>
internal static class AttentionOnnx
{
    public static string LayerNorm(OnnxGraph graph, string input, string prefix) =>
        graph.Node("LayerNormalization", [input, graph.Initializer(prefix + "weight"), graph.Initializer(prefix + "bias")],
            OnnxGraph.Attribute("axis", -1L), OnnxGraph.Attribute("epsilon", 1e-5f));

    /// <summary>Multi-head self-attention as MatMul and Softmax (no padding within one example, so no mask).</summary>
    public static string SelfAttention(OnnxGraph graph, string input, string prefix, long dimensions, long heads)
    {
        var headSize = dimensions / heads;
        string Heads(string projection, long[] perm) => graph.Node("Transpose",
            [graph.Node("Reshape", [SequenceLayers.EmitLinear(graph, input, prefix + projection + "."), graph.Constant(0, 0, heads, headSize)])],
            OnnxGraph.Attribute("perm", perm));
        var query = Heads("query", [0, 2, 1, 3]);
        var keyTransposed = Heads("key", [0, 2, 3, 1]);
        var value = Heads("value", [0, 2, 1, 3]);
        var scores = graph.Node("Mul", [graph.Node("MatMul", [query, keyTransposed]), graph.Constant(1f / MathF.Sqrt(headSize))]);
        var weights = graph.Node("Softmax", [scores], OnnxGraph.Attribute("axis", -1L));
        var context = graph.Node("Transpose", [graph.Node("MatMul", [weights, value])], OnnxGraph.Attribute("perm", [0L, 2, 1, 3]));
        return SequenceLayers.EmitLinear(graph, graph.Node("Reshape", [context, graph.Constant(0, 0, dimensions)]), prefix + "output.");
    }
}
