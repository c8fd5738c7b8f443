using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetDeep.Engine;
using MlNetDeep.Networks;
using MlNetDeep.Tasks;
using static TorchSharp.torch;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class PretrainedResNet18Tests
{
    private const int Side = 224;

    private static string PhotoFolder => Path.Combine(AppContext.BaseDirectory, "Data", "photos");

    private static string PreprocessModelPath => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    public TestContext TestContext { get; set; } = null!;

    /// <summary>The test photographs as 224 × 224 RGB pixels (0–255, channels first), as ML.NET's image pipeline gives them.</summary>
    internal static float[][] Photographs(int side = Side)
    {
        var ml = new MLContext(seed: 1);
        var files = Directory.GetFiles(PhotoFolder, "*.jpg").Order(StringComparer.Ordinal).Select(f => new ImageFile { Path = f }).ToArray();
        Assert.HasCount(3, files);
        var data = ml.Data.LoadFromEnumerable(files);
        var pixels = ml.Transforms.LoadImages("Image", null, nameof(ImageFile.Path))
            .Append(ml.Transforms.ResizeImages("Image", side, side, "Image", Microsoft.ML.Transforms.Image.ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Fit(data).Transform(data);
        return pixels.GetColumn<float[]>("Pixels").ToArray();
    }

    [TestMethod]
    public void TheImportedBackboneReproducesTheOnnxFeaturesOnPhotographs()
    {
        var imported = ResNet18Backbone.Import();
        CollectionAssert.AreEqual(new long[] { 3, Side, Side }, imported.InputShape);
        var spec = new NetworkSpec(imported.InputShape, imported.Layers);
        CollectionAssert.AreEqual(new long[] { ResNet18Backbone.FeatureCount }, spec.OutputShape);
        using var network = spec.CreateModule();
        WeightTensor.LoadAll(network, imported.Weights);
        network.eval();
        using var preprocess = new InferenceSession(PreprocessModelPath);
        using var reference = new InferenceSession(ResNet18Backbone.DefaultModelPath);

        var worst = 0.0;
        foreach (var photo in Photographs())
        {
            using var original = preprocess.Run([NamedOnnxValue.CreateFromTensor("OriginalInput", new DenseTensor<float>(photo, [1, 3, Side, Side]))]);
            var input = original.Single().AsEnumerable<float>().ToArray();
            using var features = reference.Run([NamedOnnxValue.CreateFromTensor("Input247", new DenseTensor<float>(input, [1, 3, Side, Side]))]);
            var expected = features.Single().AsEnumerable<float>().ToArray();

            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var actual = network.forward(tensor(input, [1, 3, Side, Side])).data<float>().ToArray();

            Assert.HasCount(expected.Length, actual);
            Assert.IsGreaterThan(0.1, expected.Max(), "the photograph gives non-trivial features");
            worst = Math.Max(worst, expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max());
        }
        TestContext.WriteLine($"largest feature difference: {worst:E2}");
        Assert.IsLessThanOrEqualTo(1e-4, worst);
    }

    [TestMethod]
    public void TheImportKeepsTheGraphsLayout()
    {
        var layers = ResNet18Backbone.Import().Layers;

        var residuals = layers.OfType<ResidualLayer>().ToList();
        Assert.HasCount(9, residuals, "blocks per stage 2, 2, 2, 3");
        Assert.AreEqual(3, residuals.Count(r => r.Shortcut.Count > 0), "three projection shortcuts");
        Assert.AreEqual(new SamePad2dLayer(7, 2), layers[0], "the stem convolution's pads 3, 3, 2, 2 are SAME_LOWER at 224 px");
        Assert.AreEqual(new SamePad2dLayer(3, 2, Pad2dLayer.BelowAnyValue), layers.OfType<SamePad2dLayer>().ElementAt(1), "max pooling's pads 1, 1, 0, 0 are SAME_LOWER at 112 px");
        Assert.IsFalse(layers.OfType<Pad2dLayer>().Any(), "every asymmetric padding of the graph is SAME_LOWER");
        Assert.IsInstanceOfType<GlobalAveragePoolLayer>(layers[^1], "the 7×7 average pool becomes global average pooling");
        CollectionAssert.AreEqual(new[] { 0, 6, 10, 14, 18 }, ResNet18Backbone.Stages(layers).Select(s => s.First).ToArray());
        CollectionAssert.AreEqual(new long[] { 512 }, new NetworkSpec([3, 64, 64], layers).OutputShape, "global pooling lets it run at 64 px");
        CollectionAssert.AreEqual(new long[] { 512 }, new NetworkSpec([3, 45, 37], layers).OutputShape, "padding computed per size lets strided blocks meet at odd sizes");
    }

    [TestMethod]
    [DataRow(224L, 7L, 2L, 3L, 2L)]
    [DataRow(112L, 3L, 2L, 1L, 0L)]
    [DataRow(7L, 3L, 2L, 1L, 1L)]
    [DataRow(7L, 1L, 2L, 0L, 0L)]
    [DataRow(5L, 3L, 1L, 1L, 1L)]
    [DataRow(1L, 7L, 2L, 3L, 3L)]
    public void SamePaddingCoversEverySideAndPutsTheOddPixelFirst(long side, long kernel, long stride, long before, long after)
    {
        Assert.AreEqual((before, after), SamePad2dLayer.Padding(side, kernel, stride));
        Assert.AreEqual((side + stride - 1) / stride, (side + before + after - kernel) / stride + 1, "ceil(side / stride) outputs");
    }

    [TestMethod]
    public void TheRgbBackboneComputesWhatTheOnnxModelComputesOnBgrInput()
    {
        var (backbone, weights) = ResNet18Backbone.ForRgb(null, firstLayer: 1);
        var spec = new NetworkSpec([3, Side, Side], [new ChannelStandardizeLayer(3, Mean: ResNet18Backbone.ChannelMean, Std: [1, 1, 1]), .. backbone]);
        using var network = spec.CreateModule();
        ((IInputStatisticsLayer)spec.Layers[0]).SetStatistics(network.children().First(), null!);
        WeightTensor.LoadSome(network, weights);
        network.eval();
        using var reference = new InferenceSession(ResNet18Backbone.DefaultModelPath);
        var photo = Photographs()[1];

        var plane = Side * Side;
        var bgr = new float[photo.Length];
        for (var c = 0; c < 3; c++)
        {
            for (var p = 0; p < plane; p++)
                bgr[c * plane + p] = photo[(2 - c) * plane + p] - (float)ResNet18Backbone.ChannelMean[2 - c];
        }
        using var results = reference.Run([NamedOnnxValue.CreateFromTensor("Input247", new DenseTensor<float>(bgr, [1, 3, Side, Side]))]);
        var expected = results.Single().AsEnumerable<float>().ToArray();
        using var noGrad = no_grad();
        using var input = tensor(photo, [1, 3, Side, Side]);
        using var output = network.forward(input);
        var actual = output.data<float>().ToArray();

        Assert.IsLessThanOrEqualTo(1e-4, expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max());
    }

    [TestMethod]
    public void TheNewLayersExportToOnnxAsTorchSharpComputesThem()
    {
        var layers = new List<LayerSpec>
        {
            new InputLayoutLayer(1, 9, 11), new ResizeLayer(16, 16), new ExpandChannelsLayer(3),
            new Pad2dLayer(2, 1, 0, 1), new Conv2dLayer(3, 4, 3, Stride: 2),
            new ResidualLayer([new Pad2dLayer(1, 1, 0, 0), new Conv2dLayer(4, 6, 3, Stride: 2, HasBias: false), new BatchNorm2dLayer(6), new ActivationLayer(ActivationKind.Relu)],
                [new Conv2dLayer(4, 6, 1, Stride: 2, HasBias: false), new BatchNorm2dLayer(6)]),
            new ResidualLayer([new Conv2dLayer(6, 6, 3, Padding: 1)], []),
            new Pad2dLayer(1, 1, 0, 0, Pad2dLayer.BelowAnyValue), new Pool2dLayer(PoolingKind.Max, 3, 2), new ResizeLayer(5, 3),
            new ResidualLayer([new SamePad2dLayer(3, 2), new Conv2dLayer(6, 6, 3, Stride: 2)], [new Conv2dLayer(6, 6, 1, Stride: 2)]),
            new SamePad2dLayer(3, 2, Pad2dLayer.BelowAnyValue), new Pool2dLayer(PoolingKind.Max, 3, 2),
            new GlobalAveragePoolLayer(), new LinearLayer(6, 3),
        };
        var spec = new NetworkSpec([99], layers);
        Assert.AreEqual(spec.ToJson(), NetworkSpec.FromJson(spec.ToJson()).ToJson(), "the definition survives JSON");
        using var network = spec.CreateModule();
        ConvolutionalNetworkTests.RandomizeRunningStatistics(network);
        network.eval();
        var trained = new TrainedNetwork(spec, WeightTensor.ReadAll(network), MulticlassTask.Instance, 3);
        using var session = new InferenceSession(trained.ToOnnx());

        for (var example = 0; example < 4; example++)
        {
            using var input = randn(1, 99);
            using var expected = nn.functional.softmax(network.forward(input), 1);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(input.data<float>().ToArray(), [99]))]);
            var actual = results.Single(r => r.Name == "Score").AsEnumerable<float>().ToArray();
            var reference = expected.data<float>().ToArray();
            for (var i = 0; i < reference.Length; i++)
                Assert.AreEqual(reference[i], actual[i], 1e-5f, $"class {i}");
        }
    }

    private sealed class ImageFile
    {
        public string Path { get; set; } = "";
    }
}
