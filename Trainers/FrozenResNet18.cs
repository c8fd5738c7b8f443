using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetDeep.Runtime;

namespace MlNetDeep;

/// <summary>
/// Options of the frozen-backbone ResNet18 classifier: image files are loaded, resized to 224 × 224 and run through the
/// ImageNet-pretrained ResNet18 of the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (by ML.NET's own ONNX support);
/// only the head — a <see cref="FeedForwardOptions">feed-forward network</see> on the 512 features — is trained.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Tasks</term><description>multiclass classification</description></item>
/// <item><term>Input</term><description>a text column of image file paths (any format and size SkiaSharp decodes; grayscale is read as RGB)</description></item>
/// <item><term>Normalization needed</term><description>no: the package's preprocessing (BGR, ImageNet mean image) runs inside</description></item>
/// <item><term>Resolution</term><description>224 × 224 only (the packaged graph's final pooling is fixed); use <see cref="PretrainedResNet18Options"/> to train at other sizes</description></item>
/// <item><term>model.zip</term><description>holds everything: ML.NET's image transforms, the backbone (ONNX) and the head</description></item>
/// </list>
/// </remarks>
public sealed class FrozenResNet18Options
{
    /// <summary>The backbone's input side.</summary>
    public const int InputSize = 224;

    /// <summary>The text column with image file paths. Default "ImagePath".</summary>
    public string ImagePathColumnName { get; set; } = "ImagePath";

    /// <summary>The folder relative paths start from; null for the current directory. Default null.</summary>
    public string? ImageFolder { get; set; }

    /// <summary>Whether images are resized (stretched) to 224 × 224; when false, every image must already be 224 × 224. Default true.</summary>
    public bool ResizeImages { get; set; } = true;

    /// <summary>
    /// The head trained on the backbone's 512 features: its label column, hidden layers, epochs, learning rate… Its
    /// <see cref="DeepTrainerOptions.FeatureColumnName"/> names the features column the model adds. Default: one hidden layer of 256 units.
    /// </summary>
    public FeedForwardOptions Head { get; set; } = new() { HiddenLayerSizes = [256] };

    /// <summary>Checks every option and throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ImagePathColumnName))
            throw new ArgumentOutOfRangeException(nameof(ImagePathColumnName), ImagePathColumnName, $"Option {nameof(ImagePathColumnName)} must name a column.");
        if (Head is null)
            throw new ArgumentOutOfRangeException(nameof(Head), null, $"Option {nameof(Head)} must be set.");
        Head.Validate();
    }
}

/// <summary>
/// The frozen-backbone ResNet18 classifier: ML.NET's image pipeline, the pretrained ResNet18 through ML.NET's ONNX
/// support, and a trained feed-forward head. Fit checks every image file first, so a missing, unreadable or wrongly
/// sized image is an error that names the file; it returns an ordinary ML.NET transformer chain. Create it with
/// <c>ml.MulticlassClassification.Trainers.FrozenResNet18()</c>.
/// </summary>
public sealed class FrozenResNet18Estimator : IEstimator<TransformerChain<DeepPredictionTransformer>>
{
    private const string ImageColumn = "__MlNetDeep_Image";
    private const string PixelsColumn = "__MlNetDeep_Pixels";

    private readonly FrozenResNet18Options options;
    private readonly IEstimator<ITransformer> featurizer;
    private readonly DeepTrainer head;
    private readonly EstimatorChain<DeepPredictionTransformer> pipeline;

    internal FrozenResNet18Estimator(MLContext ml, FrozenResNet18Options options)
        : this(options, Featurizer(ml, options), ml.MulticlassClassification.Trainers.FeedForward(options.Head))
    {
    }

    private FrozenResNet18Estimator(FrozenResNet18Options options, IEstimator<ITransformer> featurizer, DeepTrainer head)
    {
        this.options = options;
        this.featurizer = featurizer;
        this.head = head;
        pipeline = featurizer.Append(head);
    }

    /// <summary>The same estimator, its head reporting every epoch's record to <paramref name="progress"/>.</summary>
    public FrozenResNet18Estimator WithProgress(IProgress<EpochRecord> progress) => new(options, featurizer, head.WithProgress(progress));

    /// <summary>The same estimator, with <paramref name="callbacks"/> added to its head's training.</summary>
    public FrozenResNet18Estimator WithCallbacks(params TrainingCallback[] callbacks) => new(options, featurizer, head.WithCallbacks(callbacks));

    /// <summary>The same estimator, its head's training cancelled between batches by <paramref name="cancellationToken"/>.</summary>
    public FrozenResNet18Estimator WithCancellation(CancellationToken cancellationToken) => new(options, featurizer, head.WithCancellation(cancellationToken));

    /// <summary>Image files → 224 × 224 pixels → the pretrained ResNet18's 512 features (ML.NET's image transforms and ONNX scorer).</summary>
    private static IEstimator<ITransformer> Featurizer(MLContext ml, FrozenResNet18Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!File.Exists(ResNet18Backbone.DefaultModelPath))
            throw new FileNotFoundException(
                $"The ResNet18 model is not at '{ResNet18Backbone.DefaultModelPath}'. Reference the Microsoft.ML.DnnImageFeaturizer.ResNet18 package from the application so its build copies DnnImageModels/ beside it.",
                ResNet18Backbone.DefaultModelPath);
        var modelFolder = Path.GetDirectoryName(Path.GetDirectoryName(ResNet18Backbone.DefaultModelPath))!;
        IEstimator<ITransformer> images = ml.Transforms.LoadImages(ImageColumn, options.ImageFolder, options.ImagePathColumnName);
        if (options.ResizeImages)
            images = images.Append(ml.Transforms.ResizeImages(ImageColumn, FrozenResNet18Options.InputSize, FrozenResNet18Options.InputSize, ImageColumn, ImageResizingEstimator.ResizingKind.Fill));
        return images
            .Append(ml.Transforms.ExtractPixels(PixelsColumn, ImageColumn))
            .Append(ml.Transforms.DnnFeaturizeImage(options.Head.FeatureColumnName,
                m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn, modelFolder), PixelsColumn))
            .Append(ml.Transforms.DropColumns(ImageColumn, PixelsColumn));
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var path = inputSchema.FirstOrDefault(c => c.Name == options.ImagePathColumnName);
        if (path.Name is null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Image path column '{options.ImagePathColumnName}' is not in the data.");
        if (path.Kind != SchemaShape.Column.VectorKind.Scalar || path.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Image path column '{options.ImagePathColumnName}' must hold text (one file path per row).");
        return pipeline.GetOutputSchema(inputSchema);
    }

    /// <summary>Checks every image file, then trains the head on the backbone's features of <paramref name="input"/>; the chain's last transformer is the head (with its training history).</summary>
    public TransformerChain<DeepPredictionTransformer> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(MlNetInternals.ShapeOf(input.Schema));
        CheckImages(input);
        return pipeline.Fit(input);
    }

    private void CheckImages(IDataView input)
    {
        var column = input.Schema[options.ImagePathColumnName];
        using var cursor = input.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            var path = options.ImageFolder is null ? value.ToString() : Path.Combine(options.ImageFolder, value.ToString());
            if (!File.Exists(path))
                throw new FileNotFoundException($"Image file '{path}' (row {row}, column '{column.Name}') does not exist.", path);
            MLImage image;
            try
            {
                image = MLImage.CreateFromFile(path);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotSupportedException)
            {
                throw new InvalidDataException($"Image file '{path}' (row {row}, column '{column.Name}') cannot be read as an image: {e.Message}", e);
            }
            using (image)
            {
                if (!options.ResizeImages && (image.Width != FrozenResNet18Options.InputSize || image.Height != FrozenResNet18Options.InputSize))
                    throw new InvalidDataException(
                        $"Image file '{path}' (row {row}, column '{column.Name}') is {image.Width}×{image.Height}, but with ResizeImages off every image must be {FrozenResNet18Options.InputSize}×{FrozenResNet18Options.InputSize}.");
            }
            row++;
        }
    }
}
