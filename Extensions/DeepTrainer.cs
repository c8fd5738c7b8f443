using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Engine;
using MlNetDeep.Networks;
using MlNetDeep.Onnx;
using MlNetDeep.Runtime;
using MlNetDeep.Scoring;
using MlNetDeep.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// The ML.NET estimator behind every MlNetDeep trainer: it reads the data, builds the architecture's network, trains it
/// with the shared engine and returns a <see cref="DeepPredictionTransformer"/> that scores through ML.NET's own transforms.
/// Create it from a catalog, e.g. <c>ml.MulticlassClassification.Trainers.FeedForward()</c>.
/// </summary>
public sealed class DeepTrainer : IEstimator<DeepPredictionTransformer>
{
    private static readonly Lock SeededInitialization = new();

    private readonly NetworkArchitecture architecture;
    private readonly PredictionTask task;
    private readonly int environmentSeed;
    private readonly TrainingHooks hooks;

    internal DeepTrainer(TrainCatalogBase.CatalogInstantiatorBase catalog, DeepTrainerOptions options, NetworkArchitecture architecture, PredictionTask task)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        this.architecture = architecture;
        this.task = task;
        environmentSeed = MlNetInternals.NextSeed(MlNetInternals.EnvironmentOf(catalog), "MlNetDeep");
        hooks = TrainingHooks.None;
    }

    private DeepTrainer(DeepTrainer trainer, TrainingHooks hooks)
    {
        Options = trainer.Options;
        architecture = trainer.architecture;
        task = trainer.task;
        environmentSeed = trainer.environmentSeed;
        this.hooks = hooks;
    }

    /// <summary>The options (hyperparameters) this trainer was created with.</summary>
    public DeepTrainerOptions Options { get; }

    /// <summary>The same trainer, reporting every epoch's record to <paramref name="progress"/>.</summary>
    public DeepTrainer WithProgress(IProgress<EpochRecord> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return new(this, hooks with { Progress = progress });
    }

    /// <summary>
    /// The same trainer, with <paramref name="callbacks"/> added after the built-in ones (schedule, clipping, weight
    /// averaging, early stopping) and before checkpointing. A callback resets its state in <see cref="TrainingCallback.OnTrainingBegin"/>.
    /// </summary>
    public DeepTrainer WithCallbacks(params TrainingCallback[] callbacks)
    {
        ArgumentNullException.ThrowIfNull(callbacks);
        if (callbacks.Any(c => c is null))
            throw new ArgumentException("A callback is null.", nameof(callbacks));
        return new(this, hooks with { Callbacks = [.. hooks.Callbacks, .. callbacks] });
    }

    /// <summary>The same trainer, cancelled between batches by <paramref name="cancellationToken"/>; the last checkpoint stays usable for resuming.</summary>
    public DeepTrainer WithCancellation(CancellationToken cancellationToken) => new(this, hooks with { CancellationToken = cancellationToken });

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var columns = inputSchema.ToDictionary(c => c.Name);
        var features = Find(Options.FeatureColumnName, "Feature");
        if (FeatureColumn.Check(features, architecture.AcceptsTokenSequences) is { } featureError)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), featureError);
        var label = Find(Options.LabelColumnName, "Label");
        var labelKindError = label.Kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => null,
            SchemaShape.Column.VectorKind.Vector when task.AcceptsVectorLabels => null,
            _ when task.AcceptsVectorLabels => "must be a scalar or a vector of known size",
            _ => "must be a scalar",
        };
        if ((labelKindError ?? task.CheckLabelType(label.ItemType, label.IsKey)) is { } labelError)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{label.Name}' {labelError}.");
        if (Options.ExampleWeightColumnName is { } weightName)
        {
            var weight = Find(weightName, "Weight");
            if (weight.Kind != SchemaShape.Column.VectorKind.Scalar || ExampleTable.CheckWeightType(weight.ItemType, weightName) is not null)
                throw new ArgumentOutOfRangeException(nameof(inputSchema), ExampleTable.CheckWeightType(weight.ItemType, weightName) ?? $"Weight column '{weightName}' must be a scalar.");
        }
        foreach (var column in MlNetInternals.ShapeOf(task.OutputSchema(label, OutputColumns.Of(Options))))
            columns[column.Name] = column;
        return new SchemaShape(columns.Values);

        SchemaShape.Column Find(string name, string role) =>
            columns.TryGetValue(name, out var column) ? column
                : throw new ArgumentOutOfRangeException(nameof(inputSchema), $"{role} column '{name}' is not in the data.");
    }

    /// <summary>Trains on <paramref name="input"/>, holding out <see cref="DeepTrainerOptions.ValidationFraction"/> of it for validation.</summary>
    public DeepPredictionTransformer Fit(IDataView input) => Train(input, null, null);

    /// <summary>Trains on <paramref name="trainData"/> and validates every epoch on <paramref name="validationData"/>.</summary>
    public DeepPredictionTransformer Fit(IDataView trainData, IDataView validationData) => Train(trainData, validationData, null);

    /// <summary>
    /// Continues training <paramref name="initialNetwork"/> (e.g. <see cref="TrainedNetwork.Load"/> of a saved model.zip, or
    /// <see cref="DeepPredictionTransformer.Network"/>) on new data; the architecture options are ignored, the rest apply.
    /// Layer groups (PretrainedResNet18's frozen stages and per-stage learning rates) apply when the
    /// network has exactly the layers the options build.
    /// </summary>
    public DeepPredictionTransformer Fit(IDataView trainData, TrainedNetwork initialNetwork, IDataView? validationData = null)
    {
        ArgumentNullException.ThrowIfNull(initialNetwork);
        if (initialNetwork.Task != task)
            throw new ArgumentException($"The network was trained for {initialNetwork.Task.Name}; this trainer does {task.Name}.", nameof(initialNetwork));
        return Train(trainData, validationData, initialNetwork);
    }

    private DeepPredictionTransformer Train(IDataView trainData, IDataView? validationData, TrainedNetwork? initialNetwork)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        Options.Validate();
        var columns = BindColumns(trainData.Schema);
        var imageLayout = architecture.ImageLayoutOf(columns.Features);
        var seed = ResolveSeed();
        var device = Options.Device.Resolve();
        if (Options.NumberOfThreads is { } threads)
            set_num_threads(threads);

        var normalize = Options.NormalizeFeatures && initialNetwork is null && !columns.Features.IsTokenSequence;
        var settings = new DataSettings(Options.BatchSize, Options.ValidationFraction, Options.DataLoading, Options.ShuffleBufferSize, seed, normalize);
        using var data = TrainingData.Prepare(trainData, validationData, columns, task, settings, device, hooks.CancellationToken);
        var classes = task.ResolveClasses(columns.Label, data.ClassCount);
        (NetworkSpec Spec, nn.Module<Tensor, Tensor> Network, bool Owned, IReadOnlyList<LayerGroup>? LayerGroups) built;
        // Weight initialization draws from libtorch's one process-wide generator: seeding and building as one step keeps
        // concurrent Fits reproducible (dropout draws from it during training too, so with dropout they are not bit-exact).
        lock (SeededInitialization)
        {
            manual_seed(seed);
            built = BuildNetwork(columns.Features, data, initialNetwork);
        }
        var (spec, network, ownsNetwork, layerGroups) = built;
        try
        {
            network.to(device);
            var history = TrainingEngine.Train(new TrainingSetup(network, task, data, Options, seed, device, spec.ToJson(), imageLayout, hooks) { LayerGroups = layerGroups });
            var trained = new TrainedNetwork(spec, WeightTensor.ReadAll(network), task, data.ClassCount);
            var onnxInput = ScoringChain.OnnxInputName(columns.Features);
            var outputColumns = OutputColumns.Of(Options);
            var scoring = ScoringChain.Build(new MLContext(seed), trained, columns.Features, task, classes, outputColumns, trainData);
            return new DeepPredictionTransformer(scoring, trained, history, onnxInput, outputColumns, trainData.Schema[columns.Features.Name]);
        }
        finally
        {
            if (ownsNetwork)
                network.Dispose();
        }
    }

    private DataColumns BindColumns(DataViewSchema schema)
    {
        var features = FeatureColumn.Bind(schema, Options.FeatureColumnName, architecture.AcceptsTokenSequences);
        var labelColumn = schema.GetColumnOrNull(Options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{Options.LabelColumnName}' is not in the data.");
        if (task.CheckLabelType(labelColumn.Type, labelColumn.Type is KeyDataViewType) is { } labelError)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{labelColumn.Name}' {labelError}.");
        var label = LabelColumn.Bind(schema, labelColumn.Name);
        if (Options.ExampleWeightColumnName is { } weightName)
        {
            var weight = schema.GetColumnOrNull(weightName)
                ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Weight column '{weightName}' is not in the data.");
            if (ExampleTable.CheckWeightType(weight.Type, weightName) is { } weightError)
                throw new ArgumentOutOfRangeException(nameof(schema), weightError);
        }
        return new DataColumns(features, label, Options.ExampleWeightColumnName);
    }

    private int ResolveSeed()
    {
        if (Options.ResumeFromCheckpoint && new CheckpointStore(Options.CheckpointFolder!) is { Exists: true } checkpoint)
            return checkpoint.ReadSeed();
        return Options.Seed ?? environmentSeed;
    }

    /// <summary>
    /// The layer groups (frozen stages, learning-rate multipliers, unfreezing) of a network these options would build, when
    /// <paramref name="spec"/> has exactly its layers; null otherwise (every layer then trains alike).
    /// </summary>
    private IReadOnlyList<LayerGroup>? LayerGroupsOf(NetworkSpec spec, FeatureColumn features, long outputSize)
    {
        if (!architecture.HasLayerGroups)
            return null;
        var body = architecture.Create(features, outputSize, normalize: false);
        return new NetworkSpec(spec.InputShape, body.Layers).ToJson() == spec.ToJson() ? body.LayerGroups : null;
    }

    /// <summary>The network to train: the initial network's, or the architecture's body behind optional standardization.</summary>
    private (NetworkSpec Spec, nn.Module<Tensor, Tensor> Network, bool Owned, IReadOnlyList<LayerGroup>? LayerGroups) BuildNetwork(FeatureColumn features, TrainingData data, TrainedNetwork? initialNetwork)
    {
        long[] inputShape = features.IsTokenSequence ? [-1] : [features.Size];
        var outputSize = task.OutputSize(data.ClassCount);
        if (initialNetwork is not null)
        {
            var initialSpec = initialNetwork.Spec;
            if (!initialSpec.InputShape.SequenceEqual(inputShape) || !initialSpec.OutputShape.SequenceEqual([outputSize]))
                throw new ArgumentException(
                    $"The initial network maps [{string.Join(", ", initialSpec.InputShape)}] to [{string.Join(", ", initialSpec.OutputShape)}], " +
                    $"but feature column '{features.Name}' has {features.Size} values and the label needs {outputSize} outputs.");
            var module = initialSpec.CreateModule();
            WeightTensor.LoadAll(module, initialNetwork.Weights);
            return (initialSpec, module, true, LayerGroupsOf(initialSpec, features, outputSize));
        }

        NetworkBody body;
        NetworkSpec spec;
        try
        {
            body = architecture.Create(features, outputSize, normalize: data.FeatureStatistics is not null);
            if (task is RegressionTask && architecture.ScalesRegressionTargets && body.Modules is null)
                body = new NetworkBody([.. body.Layers, TargetScaleLayer.Of(data.TrainTargets)]);
            spec = new NetworkSpec(inputShape, body.Layers);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"The network does not fit feature column '{features.Name}' ({features.Size} values): {e.Message}", e);
        }
        if (!spec.OutputShape.SequenceEqual([outputSize]))
            throw new ArgumentException(
                $"The network outputs [{string.Join(", ", spec.OutputShape)}] per example but {task.Name} of label '{Options.LabelColumnName}' needs [{outputSize}].");
        var modules = body.Modules ?? body.Layers.Select(l => l.CreateModule()).ToArray();
        for (var i = 0; i < modules.Count; i++)
        {
            if (body.Layers[i] is IInputStatisticsLayer statisticsLayer)
                statisticsLayer.SetStatistics(modules[i], data.FeatureStatistics!);
        }
        var network = new LayerStack(modules);
        if (body.InitialWeights is { } initialWeights)
            WeightTensor.LoadSome(network, initialWeights);
        // The caller's own layers (a custom network) stay alive after Fit; only MlNetDeep-created ones are disposed.
        return (spec, network, body.Modules is null, body.LayerGroups);
    }
}
