using Microsoft.ML;
using MlNetDeep;

namespace WebApi;

/// <summary>Trains a model when none exists yet: the main sample's convolutional network, a few epochs on the image subset shipped beside the executable.</summary>
public static class StartupTraining
{
    /// <summary>Trains, then writes <paramref name="modelPath"/> beside and renames it in, so a watching server never reads half a file.</summary>
    public static void Train(string modelPath, int epochs, TextWriter log)
    {
        var data = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
        log.WriteLine($"No model at {modelPath}: training a convolutional network for {epochs} epochs on {data} ...");
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadIdxImages(Path.Combine(data, "train-images-idx3-ubyte.gz"), Path.Combine(data, "train-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions { NumberOfEpochs = epochs, BatchSize = 128 }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        using var model = pipeline.Fit(train);
        Directory.CreateDirectory(Path.GetDirectoryName(modelPath)!);
        var written = modelPath + ".tmp";
        ml.Model.Save(model, train.Schema, written);
        File.Move(written, modelPath, overwrite: true);
        log.WriteLine($"Saved {modelPath}.");
    }
}
