using System.Text.Json;
using System.Text.Json.Nodes;
using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Engine;

/// <summary>
/// Everything needed to resume a Fit exactly, written after each epoch to <c>{folder}/checkpoint</c>: weights, optimizer
/// state, callback state, history, the random generator, the seed and the network definition. A new checkpoint is written
/// beside the old one (each file flushed to disk) and swapped in, so a crash never leaves a half-written checkpoint behind.
/// </summary>
internal sealed class CheckpointStore(string folder)
{
    private const int FormatVersion = 1;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private string Current => Path.Combine(folder, "checkpoint");

    private string Previous => Path.Combine(folder, "checkpoint.previous");

    /// <summary>The folder of the newest complete checkpoint, or null.</summary>
    private string? Latest =>
        File.Exists(Path.Combine(Current, "state.json")) ? Current
        : File.Exists(Path.Combine(Previous, "state.json")) ? Previous
        : null;

    public bool Exists => Latest is not null;

    /// <summary>The seed the checkpointed run used, so a resumed run splits and shuffles the data the same way.</summary>
    public int ReadSeed() => ReadState(Latest!)["seed"]!.GetValue<int>();

    public void Save(TrainingContext context, int seed, string networkJson, IEnumerable<TrainingCallback> callbacks)
    {
        Directory.CreateDirectory(folder);
        var staging = Path.Combine(folder, $"checkpoint.writing-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            WeightFile.Write(Path.Combine(staging, "network.weights"), WeightTensor.ReadAll(context.Network));
            SafeFile.Write(Path.Combine(staging, "optimizer.bin"), stream =>
            {
                using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
                ((TorchSharp.Modules.OptimizerHelper)context.Optimizer).save_state_dict(writer);
            });
            var callbackStates = new JsonObject();
            foreach (var callback in callbacks)
            {
                var callbackState = new CallbackState(new JsonObject(), new Dictionary<string, WeightTensor>());
                callback.SaveState(callbackState);
                callbackStates[callback.Name] = callbackState.Values;
                if (callbackState.Weights.Count > 0)
                    WeightFile.Write(Path.Combine(staging, $"callback.{callback.Name}.weights"), callbackState.Weights);
            }
            using var rng = get_rng_state();
            var state = new JsonObject
            {
                ["format"] = FormatVersion,
                ["epoch"] = context.Epoch,
                ["step"] = context.Step,
                ["seed"] = seed,
                ["network"] = networkJson,
                ["rng"] = Convert.ToBase64String(rng.data<byte>().ToArray()),
                ["history"] = JsonSerializer.SerializeToNode(context.History, Json),
                ["callbacks"] = callbackStates,
            };
            SafeFile.WriteAllText(Path.Combine(staging, "state.json"), state.ToJsonString(Json));

            if (Directory.Exists(Previous))
                Directory.Delete(Previous, recursive: true);
            if (Directory.Exists(Current))
                Directory.Move(Current, Previous);
            Directory.Move(staging, Current);
            if (Directory.Exists(Previous))
                Directory.Delete(Previous, recursive: true);
        }
        catch
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>Restores a checkpoint into a freshly built network, optimizer and callbacks (after their OnTrainingBegin).</summary>
    public void Restore(TrainingContext context, string networkJson, IEnumerable<TrainingCallback> callbacks)
    {
        var latest = Latest!;
        var state = ReadState(latest);
        if (state["network"]!.GetValue<string>() != networkJson)
            throw new InvalidOperationException(
                $"The checkpoint in '{folder}' was written for a different network; delete it or point CheckpointFolder elsewhere to start afresh.");
        WeightTensor.LoadAll(context.Network, WeightFile.Read(Path.Combine(latest, "network.weights")));
        ((TorchSharp.Modules.OptimizerHelper)context.Optimizer).load_state_dict(Path.Combine(latest, "optimizer.bin"));
        var callbackStates = state["callbacks"]!.AsObject();
        foreach (var callback in callbacks)
        {
            if (callbackStates[callback.Name] is not JsonObject values)
                continue;
            var weightsPath = Path.Combine(latest, $"callback.{callback.Name}.weights");
            var weights = File.Exists(weightsPath) ? WeightFile.Read(weightsPath) : new Dictionary<string, WeightTensor>();
            callback.LoadState(new CallbackState((JsonObject)values.DeepClone(), weights));
        }
        using var rng = tensor(Convert.FromBase64String(state["rng"]!.GetValue<string>()), ScalarType.Byte);
        set_rng_state(rng);
        var history = state["history"].Deserialize<List<EpochRecord>>(Json)!;
        context.Restore(history, state["step"]!.GetValue<long>());
    }

    private JsonObject ReadState(string checkpoint)
    {
        var path = Path.Combine(checkpoint, "state.json");
        try
        {
            var state = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if (state["format"]?.GetValue<int>() != FormatVersion)
                throw new InvalidDataException($"Checkpoint '{path}' has an unknown format version.");
            return state;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}' cannot be read: {e.Message}", e);
        }
    }
}
