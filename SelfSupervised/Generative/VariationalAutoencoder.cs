using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Engine;
using MlNetDeep.Networks;
using MlNetDeep.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep;

/// <summary>
/// Trains a variational autoencoder on unlabeled images with MlNetDeep's one training engine (the negative ELBO is an
/// objective term) and returns a <see cref="VariationalAutoencoderModel"/> that samples new images.
/// </summary>
public sealed class VariationalAutoencoder
{
    private static readonly Lock SeededInitialization = new();

    /// <summary>A trainer with <paramref name="options"/> (validated here).</summary>
    public VariationalAutoencoder(VariationalAutoencoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The options.</summary>
    public VariationalAutoencoderOptions Options { get; }

    /// <summary>
    /// Trains on the images in <paramref name="images"/>; after every epoch, <paramref name="onEpochEnd"/> (optional)
    /// receives that epoch's record (train loss = negative ELBO in nats per image) and a model of the decoder as it is then.
    /// </summary>
    public VariationalAutoencoderModel Fit(IDataView images, Action<EpochRecord, VariationalAutoencoderModel>? onEpochEnd = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        Options.Validate();
        var seed = Options.Seed ?? 1;
        var features = FeatureColumn.Bind(images.Schema, Options.FeatureColumnName);
        if (features.IsTokenSequence || features.IsScalar)
            throw new ArgumentException($"Feature column '{features.Name}' must be a fixed-size vector of pixels.");
        if (Options.NumberOfThreads is { } threads)
            set_num_threads(threads);
        var device = CPU;
        using var data = UnlabeledData.Prepare(images, features, Options.BatchSize, seed, normalize: false, device, cancellationToken);
        VariationalAutoencoderNetwork network;
        lock (SeededInitialization)
        {
            manual_seed(seed);
            network = new VariationalAutoencoderNetwork(features.Size, Options.HiddenLayerSizes, Options.LatentSize);
        }
        using (network)
        {
            var dimensions = features.Dimensions.Length == 2 ? features.Dimensions : [1, features.Size];
            var objective = new VariationalObjective(features.Size, Options.LatentSize, onEpochEnd is null ? null
                : (context, record) => onEpochEnd(record, Snapshot(network, dimensions, [.. context.History])));
            var engineOptions = new DeepTrainerOptions
            {
                BatchSize = Options.BatchSize,
                NumberOfEpochs = Options.NumberOfEpochs,
                LearningRate = Options.LearningRate,
                Optimizer = OptimizerKind.Adam,
                EarlyStopping = null,
                LearningRateSchedule = null,
                ValidationFraction = 0,
            };
            var hooks = new TrainingHooks(null, [objective], cancellationToken);
            var history = TrainingEngine.Train(new TrainingSetup(network, RegressionTask.Instance, data, engineOptions, seed, device, "{}", null, hooks));
            return Snapshot(network, dimensions, history);
        }
    }

    private VariationalAutoencoderModel Snapshot(VariationalAutoencoderNetwork network, int[] dimensions, IReadOnlyList<EpochRecord> history) =>
        new(WeightTensor.ReadAll(network.Decoder), Options.HiddenLayerSizes.ToArray(), Options.LatentSize, dimensions[0], dimensions[1], history);
}

/// <summary>A trained VAE's decoder: draws latents from N(0, I) and decodes them into images.</summary>
public sealed class VariationalAutoencoderModel
{
    private readonly IReadOnlyDictionary<string, WeightTensor> decoderWeights;
    private readonly int[] hiddenLayerSizes;

    internal VariationalAutoencoderModel(IReadOnlyDictionary<string, WeightTensor> decoderWeights, int[] hiddenLayerSizes, int latentSize, int height, int width, IReadOnlyList<EpochRecord> history)
    {
        this.decoderWeights = decoderWeights;
        this.hiddenLayerSizes = hiddenLayerSizes;
        LatentSize = latentSize;
        Height = height;
        Width = width;
        History = history;
    }

    /// <summary>Dimensions of the latent space.</summary>
    public int LatentSize { get; }

    /// <summary>Image height (1 when the pixel column declared no dimensions).</summary>
    public int Height { get; }

    /// <summary>Image width (the vector's size when the pixel column declared no dimensions).</summary>
    public int Width { get; }

    /// <summary>The training records up to this model (train loss = negative ELBO, nats per image).</summary>
    public IReadOnlyList<EpochRecord> History { get; }

    /// <summary><paramref name="count"/> new images, each <see cref="Height"/> × <see cref="Width"/> values in [0, 1] (the decoder's Bernoulli means), reproducible from <paramref name="seed"/>.</summary>
    public float[][] Sample(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        using var scope = NewDisposeScope();
        using var decoder = VariationalAutoencoderNetwork.CreateDecoder((long)Height * Width, hiddenLayerSizes, LatentSize);
        WeightTensor.LoadAll(decoder, decoderWeights);
        decoder.eval();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed, CPU);
        var latent = randn([count, LatentSize], generator: generator);
        var pixels = decoder.forward(latent).sigmoid().data<float>().ToArray();
        var size = Height * Width;
        return Enumerable.Range(0, count).Select(i => pixels.AsSpan(i * size, size).ToArray()).ToArray();
    }

    /// <summary>
    /// <paramref name="count"/> new images as an IDataView with a <c>Features</c> column of Height × Width values in [0, 1]
    /// (the shape <c>LoadIdxImages</c> declares), so trainers, featurizers and evaluators read them like real images.
    /// </summary>
    public IDataView SampleImages(MLContext ml, int count, int seed, string columnName = "Features") => ImageRows.ToDataView(ml, Sample(count, seed), Height, Width, columnName);
}

/// <summary>Pixel vectors as an IDataView column with image dimensions.</summary>
public static class ImageRows
{
    /// <summary>One row per image, column <paramref name="columnName"/> a Single vector with dimensions (<paramref name="height"/>, <paramref name="width"/>).</summary>
    public static IDataView ToDataView(MLContext ml, IReadOnlyList<float[]> images, int height, int width, string columnName = "Features")
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(images);
        if (images.FirstOrDefault(i => i.Length != height * width) is { } wrong)
            throw new ArgumentException($"An image has {wrong.Length} values; {height} × {width} needs {height * width}.", nameof(images));
        var schema = SchemaDefinition.Create(typeof(ImageRow));
        schema[0].ColumnName = columnName;
        schema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, height, width);
        return ml.Data.LoadFromEnumerable(images.Select(i => new ImageRow { Pixels = i }).ToArray(), schema);
    }

    private sealed class ImageRow
    {
        public float[] Pixels { get; set; } = [];
    }
}
