namespace MlNetDeep.Engine;

/// <summary>What a Fit reports to and is steered by at run time — not hyperparameters, so kept apart from the options.</summary>
internal sealed record TrainingHooks(IProgress<EpochRecord>? Progress, IReadOnlyList<TrainingCallback> Callbacks, CancellationToken CancellationToken)
{
    public static TrainingHooks None { get; } = new(null, [], CancellationToken.None);
}
