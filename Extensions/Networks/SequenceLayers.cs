using MlNetDeep.Onnx;
using static TorchSharp.torch;

namespace MlNetDeep.Networks;

// Sequence layers see one example as [steps, features]; a step count of -1 is a variable-length sequence. In TorchSharp
// they run on padded batches with a padding mask (see LayerStack); in ONNX on one example of its own length, [1, T, F],
// so no padding reaches them there and the masks have nothing to do.

/// <summary>Reads a flat vector of <paramref name="Steps"/> × <paramref name="Features"/> values (step-major) as a sequence.</summary>
public sealed record SequenceLayoutLayer(long Steps, long Features) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new SequenceLayoutModule(Steps, Features);

    internal override long[] OutputShape(long[] inputShape)
    {
        RequireFeatures(inputShape, Steps * Features, $"Sequence layout {Steps} steps × {Features} features");
        return [Steps, Features];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) =>
        graph.Node("Reshape", [input, graph.Constant(0, Steps, Features)]);
}

/// <summary>
/// Reads a channels-first image (<paramref name="Channels"/> × <paramref name="Height"/> × <paramref name="Width"/>) as a
/// sequence of square patches of <paramref name="PatchSize"/> pixels, row by row: [patches, channels × PatchSize²].
/// </summary>
public sealed record ImagePatchesLayer(long Channels, long Height, long Width, long PatchSize) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new ImagePatchesModule(this);

    internal override long[] OutputShape(long[] inputShape)
    {
        RequireFeatures(inputShape, Channels * Height * Width, $"Image patches of a {Channels}×{Height}×{Width} image");
        if (PatchSize < 1 || Height % PatchSize != 0 || Width % PatchSize != 0)
            throw new InvalidOperationException($"Patches of {PatchSize}×{PatchSize} pixels do not tile a {Height}×{Width} image.");
        return [Height / PatchSize * (Width / PatchSize), Channels * PatchSize * PatchSize];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        var blocks = graph.Node("Reshape", [input, graph.Constant(0, Channels, Height / PatchSize, PatchSize, Width / PatchSize, PatchSize)]);
        var patches = graph.Node("Transpose", [blocks], OnnxGraph.Attribute("perm", [0L, 2, 4, 1, 3, 5]));
        var shape = OutputShape([Channels * Height * Width]);
        return graph.Node("Reshape", [patches, graph.Constant(0, shape[0], shape[1])]);
    }
}

/// <summary>
/// Token embedding for a variable-length vector of token keys (ML.NET key values: 1…<paramref name="KeyCount"/>, 0 for a
/// token missing from the key's dictionary). Row 0 of the table is padding (zero, never trained), rows 1…KeyCount the
/// tokens, row KeyCount + 1 the unknown token. Sequences longer than <paramref name="MaxLength"/> keep their first
/// MaxLength tokens; an empty sequence (an empty text at scoring time) reads as one unknown token. Output: [steps,
/// <paramref name="Dimensions"/>] with a padding mask.
/// </summary>
public sealed record TokenEmbeddingLayer(long KeyCount, long Dimensions, long MaxLength) : LayerSpec
{
    /// <summary>The value that pads token sequences in training batches (keys are never negative).</summary>
    internal const float Padding = -1f;

    internal long UnknownToken => KeyCount + 1;

    internal override nn.Module<Tensor, Tensor> CreateModule() => new TokenEmbeddingModule(this);

    internal override long[] OutputShape(long[] inputShape)
    {
        if (inputShape.Length != 1)
            throw new InvalidOperationException($"Token embedding expects a vector of token keys but receives shape [{string.Join(", ", inputShape)}].");
        return [inputShape[0] < 0 ? -1 : Math.Min(inputShape[0], MaxLength), Dimensions];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        var kept = graph.Node("Slice", [input, graph.Constant(0L), graph.Constant(MaxLength), graph.Constant(1L)]);
        // An empty sequence becomes one missing key (the unknown token): [N, 0] + [N, max(1 - L, 0)] zeros.
        var shape = graph.Node("Shape", [kept]);
        var rowCount = graph.Node("Slice", [shape, graph.Constant(0L), graph.Constant(1L)]);
        var length = graph.Node("Slice", [shape, graph.Constant(1L), graph.Constant(2L)]);
        var missingSteps = graph.Node("Max", [graph.Node("Sub", [graph.Constant(1L), length]), graph.Constant(0L)]);
        var filler = graph.Node("Expand", [graph.Constant(0f), graph.Node("Concat", [rowCount, missingSteps], OnnxGraph.Attribute("axis", 0L))]);
        var nonEmpty = graph.Node("Concat", [kept, filler], OnnxGraph.Attribute("axis", 1L));
        var keys = graph.Node("Cast", [nonEmpty], OnnxGraph.Attribute("to", (long)global::Onnx.TensorProto.Types.DataType.Int64));
        var missing = graph.Node("Equal", [keys, graph.Constant(0L)]);
        var rows = graph.Node("Where", [missing, graph.Constant(UnknownToken), keys]);
        return graph.Node("Gather", [graph.Initializer(weightPrefix + "table.weight"), rows], OnnxGraph.Attribute("axis", 0L));
    }
}

/// <summary>The same linear map <c>y = x Wᵀ + b</c> applied to every step of a sequence.</summary>
public sealed record SequenceProjectionLayer(long InputFeatures, long OutputFeatures) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => new StepwiseModule(nn.Linear(InputFeatures, OutputFeatures));

    internal override long[] OutputShape(long[] inputShape) =>
        [SequenceLayers.RequireSequence(inputShape, InputFeatures, $"Sequence projection ({InputFeatures} -> {OutputFeatures})"), OutputFeatures];

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix) => SequenceLayers.EmitLinear(graph, input, weightPrefix + "inner.");
}

/// <summary>
/// A stack of <paramref name="Layers"/> LSTM or GRU layers of <paramref name="HiddenSize"/> units, optionally
/// bidirectional, with dropout <paramref name="Dropout"/> between layers while training. With
/// <paramref name="ReturnSequence"/> the output is every step's state ([steps, directions × hidden]); without, the last
/// layer's final states (forward after the last real step, backward after the first), concatenated.
/// </summary>
public sealed record RecurrentLayer(RecurrentKind Kind, long InputSize, long HiddenSize, long Layers = 1, bool Bidirectional = false,
    double Dropout = 0, bool ReturnSequence = false) : LayerSpec
{
    internal long Directions => Bidirectional ? 2 : 1;

    internal override nn.Module<Tensor, Tensor> CreateModule() => new RecurrentModule(this);

    internal override long[] OutputShape(long[] inputShape)
    {
        var steps = SequenceLayers.RequireSequence(inputShape, InputSize, $"{Kind}({InputSize} -> {HiddenSize})");
        return ReturnSequence ? [steps, Directions * HiddenSize] : [Directions * HiddenSize];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        // ONNX recurrent ops take [T, batch, F] (ONNX Runtime's CPU kernels reject layout=1).
        var x = graph.Node("Transpose", [input], OnnxGraph.Attribute("perm", [1L, 0, 2]));
        var finalStates = x;
        for (var layer = 0; layer < Layers; layer++)
        {
            var (w, r, b) = OnnxWeights(graph, weightPrefix, layer);
            var outputs = graph.Node(Kind == RecurrentKind.Lstm ? "LSTM" : "GRU", [x, w, r, b], 2, RecurrentAttributes());
            // Y is [T, directions, batch, hidden]; the next layer reads [T, batch, directions × hidden], forward first.
            var stepsFirst = graph.Node("Transpose", [outputs[0]], OnnxGraph.Attribute("perm", [0L, 2, 1, 3]));
            x = graph.Node("Reshape", [stepsFirst, graph.Constant(0, 0, -1)]);
            finalStates = outputs[1];
        }
        if (ReturnSequence)
            return graph.Node("Transpose", [x], OnnxGraph.Attribute("perm", [1L, 0, 2]));
        // Y_h is [directions, batch, hidden].
        var batchFirst = graph.Node("Transpose", [finalStates], OnnxGraph.Attribute("perm", [1L, 0, 2]));
        return graph.Node("Reshape", [batchFirst, graph.Constant(0, Directions * HiddenSize)]);
    }

    private global::Onnx.AttributeProto[] RecurrentAttributes() => Kind == RecurrentKind.Lstm
        ? [OnnxGraph.Attribute("hidden_size", HiddenSize), OnnxGraph.Attribute("direction", Bidirectional ? "bidirectional" : "forward")]
        : [OnnxGraph.Attribute("hidden_size", HiddenSize), OnnxGraph.Attribute("direction", Bidirectional ? "bidirectional" : "forward"),
           OnnxGraph.Attribute("linear_before_reset", 1L)];

    /// <summary>
    /// W [directions, gates × hidden, in], R [directions, gates × hidden, hidden] and B [directions, 2 × gates × hidden]
    /// from TorchSharp's weights, gate blocks in ONNX's order. The graph rearranges the weights itself (ONNX Runtime
    /// folds it at load), so the model stores them as trained and they can be read back to train further.
    /// </summary>
    private (string W, string R, string B) OnnxWeights(OnnxGraph graph, string weightPrefix, int layer)
    {
        var (w, r, b) = (new List<string>(), new List<string>(), new List<string>());
        for (var direction = 0; direction < Directions; direction++)
        {
            var suffix = $"_l{layer}{(direction == 1 ? "_reverse" : "")}";
            w.Add(Reordered(graph, weightPrefix + "rnn.weight_ih" + suffix));
            r.Add(Reordered(graph, weightPrefix + "rnn.weight_hh" + suffix));
            b.Add(graph.Node("Concat", [Reordered(graph, weightPrefix + "rnn.bias_ih" + suffix), Reordered(graph, weightPrefix + "rnn.bias_hh" + suffix)],
                OnnxGraph.Attribute("axis", 0L)));
        }
        string Stack(List<string> perDirection) => graph.Node("Concat", perDirection.Select(t => graph.Node("Unsqueeze", [t, graph.Constant(0L)])).ToArray(),
            OnnxGraph.Attribute("axis", 0L));
        return (Stack(w), Stack(r), Stack(b));
    }

    /// <summary>A weight or bias with its gate blocks moved from TorchSharp's order (LSTM i, f, g, o; GRU r, z, n) to ONNX's (i, o, f, c; z, r, h).</summary>
    private string Reordered(OnnxGraph graph, string weightName)
    {
        int[] order = Kind == RecurrentKind.Lstm ? [0, 3, 1, 2] : [1, 0, 2];
        var blocks = graph.Node("Split", [graph.Initializer(weightName)], order.Length, OnnxGraph.Attribute("axis", 0L));
        return graph.Node("Concat", order.Select(block => blocks[block]).ToArray(), OnnxGraph.Attribute("axis", 0L));
    }
}

/// <summary>Reduces a sequence [steps, <paramref name="Features"/>] to [Features] by mean, attention or first-step pooling.</summary>
public sealed record SequencePoolingLayer(SequencePooling Kind, long Features) : LayerSpec
{
    internal override nn.Module<Tensor, Tensor> CreateModule() => Kind switch
    {
        SequencePooling.Mean or SequencePooling.Attention or SequencePooling.First => new SequencePoolingModule(Kind, Features),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Sequence pooling takes Mean, Attention or First; Last is the recurrent layer's own output."),
    };

    internal override long[] OutputShape(long[] inputShape)
    {
        SequenceLayers.RequireSequence(inputShape, Features, $"{Kind} pooling ({Features})");
        if (Kind == SequencePooling.Last)
            throw new InvalidOperationException("Sequence pooling takes Mean, Attention or First; Last is the recurrent layer's own output.");
        return [Features];
    }

    internal override string EmitOnnx(OnnxGraph graph, string input, string weightPrefix)
    {
        switch (Kind)
        {
            case SequencePooling.Mean:
                return graph.Node("ReduceMean", [input], OnnxGraph.Attribute("axes", [1L]), OnnxGraph.Attribute("keepdims", 0L));
            case SequencePooling.First:
                var first = graph.Node("Slice", [input, graph.Constant(0L), graph.Constant(1L), graph.Constant(1L)]);
                return graph.Node("Reshape", [first, graph.Constant(0, Features)]);
            default:
                var scores = SequenceLayers.EmitLinear(graph, input, weightPrefix + "score.");
                var weights = graph.Node("Softmax", [scores], OnnxGraph.Attribute("axis", 1L));
                return graph.Node("ReduceSum", [graph.Node("Mul", [input, weights]), graph.Constant(1L)], OnnxGraph.Attribute("keepdims", 0L));
        }
    }
}

/// <summary>Shape checks and ONNX pieces the sequence layers share.</summary>
internal static class SequenceLayers
{
    /// <summary>Checks that a layer receives a sequence of <paramref name="features"/> features and returns its step count (-1: variable).</summary>
    public static long RequireSequence(long[] inputShape, long features, string layer)
    {
        if (inputShape.Length != 2 || inputShape[1] != features)
            throw new InvalidOperationException(
                $"{layer} expects a sequence of {features} features per step (steps, features) but receives shape [{string.Join(", ", inputShape)}].");
        return inputShape[0];
    }

    /// <summary>A TorchSharp Linear (weights <c>{prefix}weight</c>, <c>{prefix}bias</c>) applied along the last axis of a tensor of any rank.</summary>
    public static string EmitLinear(OnnxGraph graph, string input, string prefix)
    {
        var product = graph.Node("MatMul", [input, graph.Node("Transpose", [graph.Initializer(prefix + "weight")])]);
        return graph.Node("Add", [product, graph.Initializer(prefix + "bias")]);
    }
}
