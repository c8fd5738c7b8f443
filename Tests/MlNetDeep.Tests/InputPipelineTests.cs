using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

/// <summary>Features that reach the trainer through ML.NET's own transforms and types.</summary>
[TestClass]
public sealed class InputPipelineTests
{
    [TestMethod]
    public void ImagesFromMlNetsImagePipelineAreLearntAndTheWholePipelineSaves()
    {
        var ml = new MLContext(seed: 1);
        using var folder = new TemporaryFolder();
        var data = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
        var train = WriteImages(ml, folder, "train", ml.Data.LoadIdxImages(Path.Combine(data, "train-images-idx3-ubyte.gz"), Path.Combine(data, "train-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames), 1000);
        var test = WriteImages(ml, folder, "test", ml.Data.LoadIdxImages(Path.Combine(data, "t10k-images-idx3-ubyte.gz"), Path.Combine(data, "t10k-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames), 300);
        var pipeline = ml.Transforms.LoadImages("Image", folder.Path, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 20, 20))
            .Append(ml.Transforms.ExtractPixels("Features", "Image"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 30, Seed = 1, HiddenLayerSizes = [64] }));

        var model = pipeline.Fit(train);
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        ml.Model.Save(model, train.Schema, folder.File("model.zip"));
        using var loaded = (TransformerChain<ITransformer>)ml.Model.Load(folder.File("model.zip"), out _);

        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3, 20, 20), model.GetOutputSchema(train.Schema)["Features"].Type, "channels, height, width");
        Assert.IsGreaterThan(0.65, accuracy, "1000 small images of 10 classes");
        Assert.AreEqual(accuracy, ml.MulticlassClassification.Evaluate(loaded.Transform(test)).MicroAccuracy, 1e-9);
    }

    [TestMethod]
    public void InterleavedColourPixelsTrainAConvolutionalNetwork()
    {
        var ml = new MLContext(seed: 1);
        using var folder = new TemporaryFolder();
        var data = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
        var train = WriteImages(ml, folder, "train", ml.Data.LoadIdxImages(Path.Combine(data, "train-images-idx3-ubyte.gz"), Path.Combine(data, "train-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames), 1000);
        var test = WriteImages(ml, folder, "test", ml.Data.LoadIdxImages(Path.Combine(data, "t10k-images-idx3-ubyte.gz"), Path.Combine(data, "t10k-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames), 300);
        var options = new ConvolutionalNetworkOptions { PixelLayout = PixelLayout.ChannelsLast, Blocks = [new(8), new(16)], NumberOfEpochs = 8, Seed = 1, BatchSize = 32 };
        var pipeline = ml.Transforms.LoadImages("Image", folder.Path, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 20, 20))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", interleavePixelColors: true))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options));

        var model = pipeline.Fit(train);

        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 20, 20, 3), model.GetOutputSchema(train.Schema)["Features"].Type, "height, width, channels");
        Assert.AreEqual(new Networks.InputLayoutLayer(3, 20, 20, ChannelsLast: true), model.LastTransformer.Network.Spec.Layers[0]);
        Assert.IsGreaterThan(0.65, ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy);
    }

    [TestMethod]
    public void DoubleVectorFeaturesAreConvertedForTheOnnxScorer()
    {
        var ml = new MLContext(seed: 1);
        var rows = TestData.Blobs(600, seed: 2).Select(e => new DoubleExample { Label = e.Label, Features = e.Features.Select(f => (double)f).ToArray() });
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(TestData.Blobs(3, 1))).Transform(ml.Data.LoadFromEnumerable(rows));

        var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 20, Seed = 1 }).Fit(data);

        Assert.IsGreaterThan(0.95, ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy);
        Assert.AreEqual("__MlNetDeep_Features", model.OnnxInputName);
        CollectionAssert.DoesNotContain(model.Transform(data).Schema.Select(c => c.Name).ToArray(), "__MlNetDeep_Features");
    }

    [TestMethod]
    public void CudaOnACpuOnlyBackendIsAClearError()
    {
        var ml = new MLContext(seed: 1);
        var options = new FeedForwardOptions { Device = TrainingDevice.Cuda(0), NumberOfEpochs = 1 };
        if (TorchSharp.torch.cuda.is_available())
        {
            Assert.HasCount(1, ml.Regression.Trainers.FeedForward(options).Fit(ml.Data.LoadFromEnumerable(TestData.Smooth(20, 2))).History, "a CUDA backend trains on the GPU");
            return;
        }

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Regression.Trainers.FeedForward(options).Fit(ml.Data.LoadFromEnumerable(TestData.Smooth(20, 2))));

        StringAssert.Contains(error.Message, "Cuda(0)");
        StringAssert.Contains(error.Message, "TorchSharp-cuda-linux");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TrainingDevice.Cuda(-1));
        Assert.AreEqual("Cpu", TrainingDevice.Cpu.ToString());
    }

    /// <summary>Writes each example as a grey PNG and returns a data view of (ImagePath, Label).</summary>
    private static IDataView WriteImages(MLContext ml, TemporaryFolder folder, string prefix, IDataView idx, int count)
    {
        var rows = new List<ImageRow>();
        foreach (var (pixels, label, i) in idx.GetColumn<float[]>("Features").Zip(idx.GetColumn<string>("Label")).Take(count).Select((p, i) => (p.First, p.Second, i)))
        {
            var bgra = pixels.SelectMany(p => { var v = (byte)(p * 255); return new[] { v, v, v, (byte)255 }; }).ToArray();
            using var image = MLImage.CreateFromPixels(28, 28, MLPixelFormat.Bgra32, bgra);
            var name = $"{prefix}-{i}.png";
            image.Save(folder.File(name));
            rows.Add(new ImageRow { ImagePath = name, Label = label });
        }
        return ml.Data.LoadFromEnumerable(rows);
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }

    private sealed class DoubleExample
    {
        public string Label { get; set; } = "";

        [VectorType(TestData.FeatureCount)]
        public double[] Features { get; set; } = [];
    }
}
