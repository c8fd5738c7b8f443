using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Engine;
using MlNetDeep.Networks;
using MlNetDeep.Runtime;
using MlNetDeep.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// Contrastive self-supervised pretraining (SimCLR; SCARF for feature vectors) as an ML.NET estimator: it trains an
/// encoder and a projection head on unlabeled rows with NT-Xent between two random views of each row, on MlNetDeep's one
/// training engine (the views are a batch callback, the loss an objective term), and returns an
/// <see cref="EmbeddingTransformer"/> that adds the encoder's embedding as a vector column. Create it with
/// <c>ml.Transforms.ContrastivePretraining(options)</c>.
/// </summary>
public sealed class ContrastivePretrainer : IEstimator<EmbeddingTransformer>
{
    private static readonly Lock SeededInitialization = new();

    private readonly int environmentSeed;
    private readonly IProgress<EpochRecord>? progress;

    internal ContrastivePretrainer(ContrastivePretrainingOptions options, int environmentSeed, IProgress<EpochRecord>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        this.environmentSeed = environmentSeed;
        this.progress = progress;
    }

    /// <summary>The options this estimator was created with.</summary>
    public ContrastivePretrainingOptions Options { get; }

    /// <summary>The same estimator, reporting every epoch's record (train loss = NT-Xent) to <paramref name="epochProgress"/>.</summary>
    public ContrastivePretrainer WithProgress(IProgress<EpochRecord> epochProgress) => new(Options, environmentSeed, epochProgress);

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (!columns.TryGetValue(Options.FeatureColumnName, out var features))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Feature column '{Options.FeatureColumnName}' is not in the data.");
        if (FeatureColumn.Check(features) is { } error)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), error);
        columns[Options.EmbeddingColumnName] = MlNetInternals.ShapeOf(EmbeddingSchema()).Single();
        return new SchemaShape(columns.Values);
    }

    private DataViewSchema EmbeddingSchema()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(Options.EmbeddingColumnName, new VectorDataViewType(NumberDataViewType.Single, 1));
        return builder.ToSchema();
    }

    /// <summary>Pretrains on the rows of <paramref name="input"/> (labels, if any, are not read).</summary>
    public EmbeddingTransformer Fit(IDataView input) => Fit(input, CancellationToken.None);

    /// <summary>As <see cref="Fit(IDataView)"/>, cancelled between batches by <paramref name="cancellationToken"/>.</summary>
    public EmbeddingTransformer Fit(IDataView input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        Options.Validate();
        var seed = Options.Seed ?? environmentSeed;
        var encoderOptions = Options.Encoder;
        var features = FeatureColumn.Bind(input.Schema, Options.FeatureColumnName);
        NetworkArchitecture architecture = encoderOptions switch
        {
            ConvolutionalNetworkOptions convolutional => new ConvolutionalArchitecture(convolutional),
            FeedForwardOptions feedForward => new FeedForwardArchitecture(feedForward),
            _ => throw new ArgumentOutOfRangeException(nameof(Options.Encoder), "Option Encoder must be ConvolutionalNetworkOptions or FeedForwardOptions."),
        };
        // Image errors (a flat column without ImageShape) surface here, before any data is read.
        var imageLayout = architecture.ImageLayoutOf(features);
        if (Options.NumberOfThreads is { } threads)
            set_num_threads(threads);
        var device = encoderOptions.Device.Resolve();

        using var data = UnlabeledData.Prepare(input, features, Options.BatchSize, seed, encoderOptions.NormalizeFeatures, device, cancellationToken);
        if (data.Train.Count < 2)
            throw new ArgumentException($"Contrastive pretraining needs at least 2 rows (each row's negatives are the other rows); the data has {data.Train.Count}.", nameof(input));

        NetworkSpec spec;
        LayerStack network;
        int encoderLayers;
        lock (SeededInitialization)
        {
            manual_seed(seed);
            (spec, network, encoderLayers) = BuildNetwork(architecture, features, data);
        }
        using (network)
        {
            network.to(device);
            using var views = imageLayout is null ? (ContrastiveViews)new CorruptedFeatureViews(Options) : new ImageViews(Options, imageLayout.Shape, imageLayout.Layout);
            var engineOptions = new DeepTrainerOptions
            {
                BatchSize = Options.BatchSize,
                NumberOfEpochs = Options.NumberOfEpochs,
                LearningRate = Options.LearningRate,
                Optimizer = OptimizerKind.AdamW,
                WeightDecay = Options.WeightDecay,
                LearningRateSchedule = new CosineSchedule { WarmupEpochs = Options.WarmupEpochs },
                EarlyStopping = null,
                ValidationFraction = 0,
            };
            var hooks = new TrainingHooks(progress, [views], cancellationToken);
            var history = TrainingEngine.Train(new TrainingSetup(network, RegressionTask.Instance, data, engineOptions, seed, device, spec.ToJson(), imageLayout, hooks));
            var encoderSpec = new NetworkSpec(spec.InputShape, spec.Layers.Take(encoderLayers).ToList());
            var weights = WeightTensor.ReadAll(network)
                .Where(w => LayerGroup.LayerOf(w.Key) < encoderLayers)
                .ToDictionary(w => w.Key, w => w.Value);
            return EmbeddingTransformer.Create(new MLContext(seed), encoderSpec, weights, input, Options.FeatureColumnName, Options.EmbeddingColumnName, history);
        }
    }

    /// <summary>The encoder (the architecture without its output layer) followed by the projection head.</summary>
    private (NetworkSpec Spec, LayerStack Network, int EncoderLayers) BuildNetwork(NetworkArchitecture architecture, FeatureColumn features, TrainingData data)
    {
        NetworkBody body;
        try
        {
            body = architecture.Create(features, outputSize: 1, normalize: data.FeatureStatistics is not null);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"The encoder does not fit feature column '{features.Name}' ({features.Size} values): {e.Message}", e);
        }
        var encoder = body.Layers.Take(body.Layers.Count - 1).ToList();
        if (encoder.Count == 0 || new NetworkSpec([features.Size], encoder).OutputShape.Length != 1)
            throw new ArgumentException("Option Encoder builds no layers before its output layer; give it hidden layers (HiddenLayerSizes) or convolution blocks.");
        var width = new NetworkSpec([features.Size], encoder).OutputShape[0];
        var layers = new List<LayerSpec>(encoder);
        if (Options.ProjectionHiddenSize > 0)
        {
            layers.Add(new LinearLayer(width, Options.ProjectionHiddenSize));
            layers.Add(new ActivationLayer(ActivationKind.Relu));
            width = Options.ProjectionHiddenSize;
        }
        layers.Add(new LinearLayer(width, Options.ProjectionSize));
        var spec = new NetworkSpec([features.Size], layers);
        var modules = layers.Select(l => l.CreateModule()).ToArray();
        for (var i = 0; i < modules.Length; i++)
        {
            if (layers[i] is IInputStatisticsLayer statisticsLayer)
                statisticsLayer.SetStatistics(modules[i], data.FeatureStatistics!);
        }
        return (spec, new LayerStack(modules), encoder.Count);
    }
}
