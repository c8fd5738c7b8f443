using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MlNetDeep;

/// <summary>
/// Image features from the ImageNet-pretrained ResNet18 of the Microsoft.ML.DnnImageFeaturizer.ResNet18 package: the
/// 512 values after its global average pooling, run by ML.NET's <c>DnnFeaturizeImage</c> (ONNX Runtime).
/// </summary>
public static class ResNet18Features
{
    /// <summary>Features per image.</summary>
    public const int FeatureCount = 512;

    private const int InputSize = 224;
    private const string ResizedColumn = "__MlNetDeep_Resized";
    private const string PixelsColumn = "__MlNetDeep_Pixels";
    private const string FeaturesColumn = "__MlNetDeep_ResNet18";

    /// <summary>
    /// The folder with the package's ONNX files (<c>ResNet18Onnx/ResNet18.onnx</c>, <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>),
    /// which the package's build step copies beside the application.
    /// </summary>
    public static string ModelFolder => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    /// <summary>
    /// The 512 features of each image, in row order. Images of any size are resized to 224 × 224 (the whole image,
    /// stretched); the package's preprocessing graph then converts them to its BGR, mean-subtracted input.
    /// </summary>
    /// <param name="ml">The context that runs the featurizer.</param>
    /// <param name="images">Data with an image column (e.g. from <c>ml.Transforms.LoadImages</c>).</param>
    /// <param name="imageColumnName">The image column.</param>
    public static float[][] Extract(MLContext ml, IDataView images, string imageColumnName = "Image")
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(images);
        var column = images.Schema.GetColumnOrNull(imageColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(imageColumnName), $"Image column '{imageColumnName}' is not in the data.");
        if (column.Type is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(nameof(imageColumnName),
                $"Image column '{imageColumnName}' has type {column.Type}; load images into it first, e.g. with ml.Transforms.LoadImages.");
        var modelFile = Path.Combine(ModelFolder, "ResNet18Onnx", "ResNet18.onnx");
        if (!File.Exists(modelFile))
            throw new FileNotFoundException(
                $"The ResNet18 model is not at '{modelFile}'. Reference the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (or MlNetDeep.Evaluators) from the application so its build copies DnnImageModels/ beside it.",
                modelFile);

        var modelFolder = ModelFolder;
        var pipeline = ml.Transforms.ResizeImages(ResizedColumn, InputSize, InputSize, imageColumnName, ImageResizingEstimator.ResizingKind.Fill)
            .Append(ml.Transforms.ExtractPixels(PixelsColumn, ResizedColumn))
            .Append(ml.Transforms.DnnFeaturizeImage(FeaturesColumn,
                m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn, modelFolder), PixelsColumn));
        var model = pipeline.Fit(images);
        try
        {
            return model.Transform(images).GetColumn<float[]>(FeaturesColumn).ToArray();
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }
}
