using Microsoft.ML;

namespace MlNetDeep.Serving;

/// <summary>The ML.NET context that prediction engine pools load models and create engines with.</summary>
/// <remarks>Set it with <c>services.Configure&lt;MLOptions&gt;(o =&gt; o.MLContext = new MLContext { ... })</c>, for example to choose ONNX Runtime session options.</remarks>
public sealed class MLOptions
{
    /// <summary>The context; a new <see cref="Microsoft.ML.MLContext"/> without a seed unless set.</summary>
    public MLContext MLContext { get; set; } = new();
}
