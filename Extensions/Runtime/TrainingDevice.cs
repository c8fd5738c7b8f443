using TorchSharp;

namespace MlNetDeep;

/// <summary>Where a network trains: <see cref="Auto"/> (CUDA when available, else CPU), <see cref="Cpu"/> or <see cref="Cuda(int)"/>.</summary>
public sealed record TrainingDevice
{
    private TrainingDevice(DeviceType? type, int index) { Type = type; Index = index; }

    /// <summary>CUDA device 0 when the TorchSharp backend has CUDA and a GPU is present, the CPU otherwise.</summary>
    public static TrainingDevice Auto { get; } = new(null, -1);

    /// <summary>The CPU.</summary>
    public static TrainingDevice Cpu { get; } = new(DeviceType.CPU, -1);

    /// <summary>CUDA device <paramref name="index"/>; needs a CUDA TorchSharp backend package (see README).</summary>
    public static TrainingDevice Cuda(int index = 0)
    {
        if (index < 0)
            throw new ArgumentOutOfRangeException(nameof(index), index, "The CUDA device index must be 0 or more.");
        return new(DeviceType.CUDA, index);
    }

    internal DeviceType? Type { get; }

    internal int Index { get; }

    /// <inheritdoc />
    public override string ToString() => Type switch { null => "Auto", DeviceType.CPU => "Cpu", _ => $"Cuda({Index})" };

    internal torch.Device Resolve()
    {
        Runtime.TorchRuntime.EnsureLoaded();
        if (Type == DeviceType.CPU)
            return torch.CPU;
        var cudaAvailable = torch.cuda.is_available();
        if (Type is null)
            return cudaAvailable ? torch.CUDA : torch.CPU;
        if (!cudaAvailable)
            throw new InvalidOperationException(
                $"Device {this} was asked for, but the TorchSharp backend in use has no CUDA or no GPU is visible. " +
                "Reference TorchSharp-cuda-linux or TorchSharp-cuda-windows instead of libtorch-cpu-linux-x64, or use TrainingDevice.Cpu / Auto.");
        if (Index >= torch.cuda.device_count())
            throw new InvalidOperationException($"Device {this} was asked for, but only {torch.cuda.device_count()} CUDA device(s) are visible.");
        return torch.device(DeviceType.CUDA, Index);
    }
}
