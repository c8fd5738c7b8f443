namespace MlNetDeep;

/// <summary>Element-wise activation functions.</summary>
public enum ActivationKind
{
    /// <summary>max(0, x).</summary>
    Relu,
    /// <summary>x for x ≥ 0, <c>Alpha</c>·x otherwise (default slope 0.01).</summary>
    LeakyRelu,
    /// <summary>x for x ≥ 0, <c>Alpha</c>·(eˣ − 1) otherwise (default alpha 1).</summary>
    Elu,
    /// <summary>Gaussian error linear unit, exact (erf) form.</summary>
    Gelu,
    /// <summary>Gaussian error linear unit, tanh approximation.</summary>
    GeluTanh,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    /// <summary>Logistic sigmoid.</summary>
    Sigmoid,
    /// <summary>x·sigmoid(x) (also called swish).</summary>
    Silu,
}

/// <summary>How a pooling layer summarizes a window.</summary>
public enum PoolingKind
{
    /// <summary>No pooling.</summary>
    None,

    /// <summary>The window's maximum.</summary>
    Max,

    /// <summary>The window's mean (zero padding counts).</summary>
    Average,
}

/// <summary>Recurrent cells.</summary>
public enum RecurrentKind
{
    /// <summary>Long short-term memory.</summary>
    Lstm,

    /// <summary>Gated recurrent unit.</summary>
    Gru,
}

/// <summary>How a sequence becomes one vector.</summary>
public enum SequencePooling
{
    /// <summary>The recurrent layers' final states (forward after the last step, backward after the first).</summary>
    Last,

    /// <summary>The mean over the steps (padding excluded).</summary>
    Mean,

    /// <summary>A learned weighted mean: a linear score per step, softmax over the steps (padding excluded).</summary>
    Attention,

    /// <summary>The first step, e.g. a [CLS] token's state.</summary>
    First,
}
