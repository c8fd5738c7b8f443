using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Onnx;

namespace MlNetDeep;

/// <summary>Turns <see cref="OnnxExecutionOptions"/> into ONNX Runtime session options, for ML.NET's scorer and MlNetDeep's batch scorer alike.</summary>
public static class OnnxExecution
{
    // The package that brings each provider, for the error when it is absent.
    private static readonly Dictionary<string, string> Packages = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CUDA"] = "Microsoft.ML.OnnxRuntime.Gpu 1.32.0 (or Microsoft.ML.OnnxRuntime.Gpu.Linux / .Gpu.Windows)",
        ["Tensorrt"] = "Microsoft.ML.OnnxRuntime.Gpu 1.32.0 (with TensorRT installed)",
        ["Dml"] = "Microsoft.ML.OnnxRuntime.DirectML",
        ["OpenVINO"] = "Intel.ML.OnnxRuntime.OpenVino",
        ["QNN"] = "Microsoft.ML.OnnxRuntime.QNN",
        ["CoreML"] = "Microsoft.ML.OnnxRuntime on macOS or iOS",
        ["ROCM"] = "an ONNX Runtime build with ROCm",
    };

    /// <summary>
    /// Makes every ONNX model that <paramref name="ml"/> loads from now on (ML.NET's OnnxTransformer, so every MlNetDeep
    /// model.zip) run as <paramref name="options"/> say. Checks the provider at once: an absent one is an error naming
    /// its package, or the CPU when <see cref="OnnxExecutionOptions.FallbackToCpu"/> is set.
    /// </summary>
    public static void UseOnnxExecution(this MLContext ml, OnnxExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ResolveProvider(options);
        ml.SetOnnxSessionOption(new OnnxSessionOptions { CreateSessionOptions = () => CreateSessionOptions(options) });
    }

    /// <summary>
    /// The ONNX Runtime provider name (e.g. "CUDAExecutionProvider") that <paramref name="options"/> will run on in this
    /// process: the one asked for when this process's ONNX Runtime has it, "CPUExecutionProvider" when it does not and
    /// <see cref="OnnxExecutionOptions.FallbackToCpu"/> is set.
    /// </summary>
    /// <exception cref="NotSupportedException">The provider is absent and there is no fallback; the message names the package that brings it.</exception>
    public static string ResolveProvider(OnnxExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var wanted = ProviderName(options.ExecutionProvider);
        var available = OrtEnv.Instance().GetAvailableProviders();
        if (available.Contains(wanted, StringComparer.OrdinalIgnoreCase))
            return available.First(p => string.Equals(p, wanted, StringComparison.OrdinalIgnoreCase));
        if (options.FallbackToCpu)
            return "CPUExecutionProvider";
        var shortName = wanted[..^"ExecutionProvider".Length];
        var package = Packages.TryGetValue(shortName, out var name) ? name : "an ONNX Runtime package built with it";
        throw new NotSupportedException(
            $"Option ExecutionProvider asks for '{options.ExecutionProvider}', but this process's ONNX Runtime has only {string.Join(", ", available)}. " +
            $"Reference {package} in the application instead of Microsoft.ML.OnnxRuntime, or set FallbackToCpu to run on the CPU.");
    }

    /// <summary>ONNX Runtime session options for <paramref name="options"/>: provider (or its explicit CPU fallback), threads, optimization.</summary>
    internal static SessionOptions CreateSessionOptions(OnnxExecutionOptions options)
    {
        var provider = ResolveProvider(options);
        var session = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimization switch
            {
                OnnxGraphOptimization.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
                OnnxGraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                OnnxGraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
        };
        if (options.IntraOpThreads is { } intra)
            session.IntraOpNumThreads = intra;
        if (options.InterOpThreads is { } inter)
            session.InterOpNumThreads = inter;
        if (options.OptimizedModelFilePath is { } path)
            session.OptimizedModelFilePath = path;
        switch (provider)
        {
            case "CPUExecutionProvider":
                break;
            case "CUDAExecutionProvider":
                session.AppendExecutionProvider_CUDA(options.DeviceId);
                break;
            case "TensorrtExecutionProvider":
                session.AppendExecutionProvider_Tensorrt(options.DeviceId);
                break;
            case "DmlExecutionProvider":
                session.AppendExecutionProvider_DML(options.DeviceId);
                break;
            case "ROCMExecutionProvider":
                session.AppendExecutionProvider_ROCm(options.DeviceId);
                break;
            default:
                session.AppendExecutionProvider(provider[..^"ExecutionProvider".Length], new Dictionary<string, string>());
                break;
        }
        return session;
    }

    /// <summary>ONNX Runtime's full provider name for a short or full one ("cuda" → "CUDAExecutionProvider", "DirectML" → "DmlExecutionProvider").</summary>
    private static string ProviderName(string name)
    {
        var shortName = name.EndsWith("ExecutionProvider", StringComparison.OrdinalIgnoreCase) ? name[..^"ExecutionProvider".Length] : name;
        shortName = shortName.ToUpperInvariant() switch
        {
            "CPU" => "CPU",
            "CUDA" => "CUDA",
            "TENSORRT" => "Tensorrt",
            "DIRECTML" or "DML" => "Dml",
            "OPENVINO" => "OpenVINO",
            "COREML" => "CoreML",
            "ROCM" => "ROCM",
            "QNN" => "QNN",
            "XNNPACK" => "XNNPACK",
            "NNAPI" => "Nnapi",
            _ => shortName,
        };
        return shortName + "ExecutionProvider";
    }
}
