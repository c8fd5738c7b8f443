using System.Globalization;
using System.Text.Json.Nodes;
using TorchSharp;

namespace MlNetDeep.Registry.Training;

/// <summary>
/// Logs a Fit to the model registry as it goes, as MLflow's autolog does: a training run with the hyperparameters and
/// the environment, one record per epoch (train and validation loss, metric, learning rate, seconds) and, every
/// <see cref="CheckpointEveryEpochs"/> epochs, the network's weights. Add it to the trainer
/// (<c>trainer.WithCallbacks(callback)</c>), then register
/// the fitted model with <c>new ModelVersionDetails { Run = callback.Run }</c> to link the version to its run.
/// A Fit resumed from a checkpoint goes on logging into the same run.
/// </summary>
/// <remarks>
/// Each epoch's record is one short database write; a checkpoint also stores the weights (TorchSharp's
/// <c>Module.save</c> format; load them with <c>Module.load</c>) in the artifact store.
/// </remarks>
public sealed class RegistryTrainingCallback : TrainingCallback
{
    private readonly ModelRegistry registry;
    private readonly string modelName;
    private Guid? resumedRunId;

    /// <summary>Logs runs of <paramref name="modelName"/> into <paramref name="registry"/>.</summary>
    public RegistryTrainingCallback(ModelRegistry registry, string modelName)
    {
        ArgumentNullException.ThrowIfNull(registry);
        RegistryNames.ValidateModelName(modelName);
        this.registry = registry;
        this.modelName = modelName;
    }

    /// <summary>
    /// The trainer's options, recorded with the run as their JSON (<see cref="DeepTrainerOptions.ToJson"/>, see
    /// <see cref="DeepModelDetails.SetTrainerOptions"/>), or any other hyperparameters as an object or JSON. Default none.
    /// </summary>
    public object? Hyperparameters { get; init; }

    /// <summary>Stores the weights after every this many epochs (and after the last); 0 for none. Default 1.</summary>
    public int CheckpointEveryEpochs
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(CheckpointEveryEpochs), value, "CheckpointEveryEpochs must be 0 (no checkpoints) or more.");
    } = 1;

    /// <summary>The run being logged; null until the first epoch begins.</summary>
    public TrainingRun? Run { get; private set; }

    /// <inheritdoc />
    public override string Name => "RegistryLogging";

    /// <inheritdoc />
    public override void OnTrainingBegin(TrainingContext context)
    {
        Run = null;
        resumedRunId = null;
    }

    /// <summary>Starts the run, or takes up the checkpointed one when Fit resumed (state is restored after <see cref="OnTrainingBegin"/>).</summary>
    public override void OnEpochBegin(TrainingContext context)
    {
        if (Run is not null)
            return;
        var hyperparameters = Hyperparameters is DeepTrainerOptions options ? DeepModelDetails.OptionsJson(options) : Hyperparameters;
        Run = resumedRunId is { } id
            ? Wait(registry.ResumeRunAsync(id))
            : Wait(registry.StartRunAsync(modelName, hyperparameters, EnvironmentInfo.Capture(context.Seed, Gpu(context))));
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochRecord record)
    {
        var run = Run!;
        Wait(run.LogEpochAsync(record.Epoch, record));
        var last = record.Epoch == context.NumberOfEpochs || context.StopRequested;
        if (CheckpointEveryEpochs > 0 && (record.Epoch % CheckpointEveryEpochs == 0 || last))
        {
            var path = Path.Combine(Path.GetTempPath(), $"mlnetdeep-checkpoint-{Guid.NewGuid():N}.weights");
            try
            {
                context.Network.save(path);
                Wait(run.LogFileAsync($"checkpoint-epoch-{record.Epoch.ToString("D4", CultureInfo.InvariantCulture)}.weights", path));
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    /// <inheritdoc />
    public override void OnTrainingEnd(TrainingContext context)
    {
        if (Run is { } run)
            Wait(run.EndAsync(RunStatus.Finished));
    }

    /// <inheritdoc />
    public override void SaveState(CallbackState state)
    {
        if (Run is { } run)
            state.Values["run"] = run.Id.ToString("D", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override void LoadState(CallbackState state) =>
        resumedRunId = state.Values["run"] is JsonValue run ? Guid.Parse(run.GetValue<string>()) : null;

    private static string? Gpu(TrainingContext context)
    {
        var device = context.Network.parameters().FirstOrDefault()?.device;
        return device?.type == DeviceType.CUDA ? $"CUDA:{device.index}" : null;
    }

    // The engine calls callbacks synchronously on its training thread, which has no synchronization context to deadlock on.
    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static void Wait(Task task) => task.GetAwaiter().GetResult();
}
