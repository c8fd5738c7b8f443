namespace MlNetDeep;

/// <summary>Raised when TorchSharp's native libraries cannot be loaded; the message carries the native loader's own reason.</summary>
public sealed class TorchRuntimeException : Exception
{
    internal TorchRuntimeException(string message, Exception? inner = null) : base(message, inner) { }
}
