using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace MlNetDeep;

/// <summary>Where a network trains: <see cref="Auto"/> (CUDA when available, else CPU), <see cref="Cpu"/> or <see cref="Cuda(int)"/>.</summary>
[JsonConverter(typeof(TrainingDeviceJsonConverter))]
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

    /// <summary>The device <see cref="ToString"/> names: "Auto", "Cpu" or "Cuda(n)".</summary>
    /// <exception cref="FormatException">The text names no device.</exception>
    public static TrainingDevice Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "Auto")
            return Auto;
        if (text == "Cpu")
            return Cpu;
        if (text.StartsWith("Cuda(", StringComparison.Ordinal) && text.EndsWith(')')
            && int.TryParse(text.AsSpan(5, text.Length - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return Cuda(index);
        throw new FormatException($"'{text}' is not a training device; expected Auto, Cpu or Cuda(n).");
    }

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

/// <summary>Writes a <see cref="TrainingDevice"/> as its name ("Auto", "Cpu", "Cuda(n)") and reads it back.</summary>
internal sealed class TrainingDeviceJsonConverter : JsonConverter<TrainingDevice>
{
    public override TrainingDevice Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return TrainingDevice.Parse(reader.GetString() ?? "");
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, TrainingDevice value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
