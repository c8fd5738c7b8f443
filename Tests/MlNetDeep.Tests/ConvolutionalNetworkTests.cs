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
public sealed class ConvolutionalNetworkTests
{
    private const int Side = 12;

    /// <summary>12×12 images of a horizontal bar, a vertical bar or a diagonal at a random place, with noise.</summary>
    internal static BarImage[] Bars(int count, int seed, int classes = 3)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var c = i % classes;
            var pixels = Enumerable.Range(0, Side * Side).Select(_ => (float)(random.NextDouble() * 0.2)).ToArray();
            var at = random.Next(2, Side - 2);
            for (var k = 1; k < Side - 1; k++)
            {
                var (row, column) = c switch { 0 => (at, k), 1 => (k, at), _ => (k, k) };
                pixels[row * Side + column] = 1;
            }
            return new BarImage { Label = c.ToString(), Features = pixels };
        }).ToArray();
    }

    private static ConvolutionalNetworkOptions Small(int epochs = 15) => new()
    {
        NumberOfEpochs = epochs,
        Seed = 3,
        Blocks = [new(8), new(16)],
        HiddenLayerSizes = [32],
        BatchSize = 32,
    };

    [TestMethod]
    public void EveryImageLayerHasTheOutputShapeItsDefinitionSays()
    {
        var cases = new (LayerSpec Layer, long[] Input)[]
        {
            (new InputLayoutLayer(3, 5, 6), [90]),
            (new InputLayoutLayer(3, 5, 6, ChannelsLast: true), [90]),
            (new ChannelStandardizeLayer(3), [3, 5, 6]),
            (new Conv2dLayer(3, 4, 3, Stride: 2, Padding: 1), [3, 5, 6]),
            (new Conv2dLayer(3, 4, 5), [3, 9, 7]),
            (new BatchNorm2dLayer(3), [3, 5, 6]),
            (new Pool2dLayer(PoolingKind.Max, 2, 2), [3, 5, 6]),
            (new Pool2dLayer(PoolingKind.Average, 3, 2, 1), [3, 5, 6]),
            (new GlobalAveragePoolLayer(), [3, 5, 6]),
            (new FlattenLayer(), [3, 5, 6]),
            (new ResidualBlockLayer(3, 3), [3, 5, 6]),
            (new ResidualBlockLayer(3, 8, Stride: 2), [3, 5, 6]),
        };
        foreach (var (layer, input) in cases)
        {
            using var module = layer.CreateModule();
            module.eval();
            using var output = module.forward(randn([2, .. input]));
            CollectionAssert.AreEqual(new long[] { 2 }.Concat(layer.OutputShape(input)).ToArray(), output.shape, layer.ToString());
        }
    }

    [TestMethod]
    public void EveryImageLayerExportsToOnnxAsTorchSharpComputesIt()
    {
        foreach (var head in new LayerSpec[] { new GlobalAveragePoolLayer(), new FlattenLayer() })
        {
            var layers = new List<LayerSpec>
            {
                new InputLayoutLayer(3, 10, 9, ChannelsLast: true), new ChannelStandardizeLayer(3, FromChannelsLast: true),
                new Conv2dLayer(3, 6, 3, 1, 1), new BatchNorm2dLayer(6), new ActivationLayer(ActivationKind.LeakyRelu, 0.1),
                new Pool2dLayer(PoolingKind.Max, 2, 2), new ResidualBlockLayer(6, 6), new DropoutLayer(0.5),
                new ResidualBlockLayer(6, 8, 2, ActivationKind.Elu), new Pool2dLayer(PoolingKind.Average, 3, 1, 1), head,
            };
            var width = new NetworkSpec([270], layers).OutputShape[0];
            layers.Add(new LinearLayer(width, 4));
            var spec = new NetworkSpec([270], layers);
            using var network = spec.CreateModule();
            RandomizeRunningStatistics(network);
            network.eval();
            var trained = new TrainedNetwork(spec, WeightTensor.ReadAll(network), MulticlassTask.Instance, 4);
            using var session = new InferenceSession(trained.ToOnnx());

            for (var example = 0; example < 5; example++)
            {
                using var input = rand(1, 270);
                using var expected = nn.functional.softmax(network.forward(input), 1);
                var values = input.data<float>().ToArray();
                using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(values, [270]))]);
                var actual = results.Single(r => r.Name == "Score").AsEnumerable<float>().ToArray();
                var reference = expected.data<float>().ToArray();
                for (var i = 0; i < reference.Length; i++)
                    Assert.AreEqual(reference[i], actual[i], 1e-5f, $"{head.GetType().Name} head, class {i}");
            }
        }
    }

    [TestMethod]
    public void ALearnableImageProblemReachesHighAccuracy()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Bars(450, seed: 1));
        var test = ml.Data.LoadFromEnumerable(Bars(150, seed: 2));

        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(Small())).Fit(train);

        Assert.IsGreaterThan(0.95, ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy);
    }

    [TestMethod]
    public void ResidualBlocksWithGlobalPoolingLearnToo()
    {
        var ml = new MLContext(seed: 1);
        var options = Small(20);
        options.Blocks = [new(8), new(16) { Residual = true, Stride = 2, Pooling = PoolingKind.None }, new(16) { Residual = true, Pooling = PoolingKind.Average }];
        options.ClassifierInput = ClassifierInput.GlobalAveragePooling;
        options.HiddenLayerSizes = [];

        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options))
            .Fit(ml.Data.LoadFromEnumerable(Bars(450, seed: 1)));

        Assert.IsGreaterThan(0.9, ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(Bars(150, seed: 2)))).MicroAccuracy);
        CollectionAssert.Contains(model.LastTransformer.Network.Spec.Layers.Select(l => l.GetType()).ToArray(), typeof(ResidualBlockLayer));
    }

    [TestMethod]
    public void BinaryImageClassification()
    {
        var ml = new MLContext(seed: 1);
        var rows = Bars(300, seed: 1, classes: 2).Select(b => new BinaryBarImage { Label = b.Label == "1", Features = b.Features });

        var model = ml.BinaryClassification.Trainers.ConvolutionalNetwork(Small()).Fit(ml.Data.LoadFromEnumerable(rows));

        var test = Bars(100, seed: 2, classes: 2).Select(b => new BinaryBarImage { Label = b.Label == "1", Features = b.Features });
        Assert.IsGreaterThan(0.95, ml.BinaryClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(test))).Accuracy);
    }

    [TestMethod]
    public void ChannelStatisticsOfTheTrainingImagesAreSavedAndReused()
    {
        var ml = new MLContext(seed: 1);
        var images = Bars(90, seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(images)).Transform(ml.Data.LoadFromEnumerable(images));
        var options = Small(1);
        options.ValidationFraction = 0;
        options.EarlyStopping = null;
        var model = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data);
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, data.Schema, folder.File("model.zip"));

        var pixels = images.SelectMany(i => i.Features).Select(p => (double)p).ToArray();
        var mean = pixels.Average();
        var std = Math.Sqrt(pixels.Select(p => (p - mean) * (p - mean)).Average());
        foreach (var network in new[] { model.Network, TrainedNetwork.Load(folder.File("model.zip")) })
        {
            Assert.IsInstanceOfType<ChannelStandardizeLayer>(network.Spec.Layers[1]);
            Assert.AreEqual(mean, network.Weights["1.mean"].Values.Single(), 1e-5);
            Assert.AreEqual(1 / std, network.Weights["1.scale"].Values.Single(), 1e-4);
        }

        options.ChannelMean = [0.5];
        options.ChannelStd = [0.25];
        var given = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data).Network;
        Assert.AreEqual(0.5f, given.Weights["1.mean"].Values.Single());
        Assert.AreEqual(4f, given.Weights["1.scale"].Values.Single(), "given statistics are used as they are");
    }

    [TestMethod]
    public void AugmentationTouchesTrainingBatchesOnlyAndNeverScoring()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(Bars(3, 1))).Transform(ml.Data.LoadFromEnumerable(Bars(200, seed: 1)));
        var spy = new TrainingBatchSpy();
        var options = Small(2);
        options.EarlyStopping = null;
        options.ValidationFraction = 0.2;
        options.Augmentation = new ImageAugmentation { HorizontalFlipProbability = 1, ErasingProbability = 1, ErasingMinArea = 0.5, ErasingMaxArea = 0.5 };

        var model = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).WithCallbacks(spy).Fit(data);

        Assert.AreEqual(spy.TrainingSteps, spy.Batches, "validation batches never reach OnTrainingBatch");
        Assert.IsTrue(model.History.All(r => r.ValidationLoss is not null), "there were validation batches");
        Assert.IsGreaterThan(0L, spy.ErasedPixels, "the augmenter ran before user callbacks (bars have no exact zeros; erasing makes them)");
        using var network = model.Network.Spec.CreateModule();
        WeightTensor.LoadAll(network, model.Network.Weights);
        network.eval();
        var features = data.GetColumn<float[]>("Features").Take(10).ToArray();
        var scores = model.Transform(ml.Data.TakeRows(data, 10)).GetColumn<float[]>("Score").ToArray();
        for (var row = 0; row < features.Length; row++)
        {
            using var input = tensor(features[row]).unsqueeze(0);
            using var expected = nn.functional.softmax(network.forward(input), 1);
            var reference = expected.data<float>().ToArray();
            for (var i = 0; i < reference.Length; i++)
                Assert.AreEqual(reference[i], scores[row][i], 1e-5f, "scoring sees the image as it is");
        }
    }

    [TestMethod]
    public void YourOwnConvolutionalNetworkTrainsAndExports()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(Bars(3, 1))).Transform(ml.Data.LoadFromEnumerable(Bars(450, seed: 1)));
        var network = nn.Sequential(
            ("image", nn.Unflatten(1, [1, Side, Side])),
            ("conv", nn.Conv2d(1, 8, 3, padding: 1)), ("norm", nn.BatchNorm2d(8)), ("act", nn.ReLU()), ("pool", nn.MaxPool2d(2)),
            ("flat", nn.Flatten()), ("out", nn.Linear(8 * 6 * 6, 3)));

        var model = ml.MulticlassClassification.Trainers.CustomNetwork(network, new DeepTrainerOptions { NumberOfEpochs = 15, Seed = 1, BatchSize = 32 }).Fit(data);

        Assert.IsGreaterThan(0.95, ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy);
        CollectionAssert.AreEqual(
            new[] { typeof(StandardizeLayer), typeof(InputLayoutLayer), typeof(Conv2dLayer), typeof(BatchNorm2dLayer), typeof(ActivationLayer), typeof(Pool2dLayer), typeof(FlattenLayer), typeof(LinearLayer) },
            model.Network.Spec.Layers.Select(l => l.GetType()).ToArray());
    }

    [TestMethod]
    public void AFlatVectorOfTheWrongSizeForTheDeclaredShapeIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var options = Small(1);
        options.ImageShape = new ImageShape(1, 10, 10);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(Bars(9, 1))).Transform(ml.Data.LoadFromEnumerable(Bars(9, 1)));

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data));

        StringAssert.Contains(error.Message, "Feature column 'Features' has 144 values but image shape 1×10×10 needs 100");
    }

    [TestMethod]
    public void AFlatVectorWithoutADeclaredShapeIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var rows = TestData.Blobs(9, 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ConvolutionalNetwork(Small(1)).Fit(data));

        StringAssert.Contains(error.Message, "Feature column 'Features' is a flat vector of 10 values; declare the image shape");
    }

    [TestMethod]
    public void PoolingThatDoesNotFitTheImageIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var options = Small(1);
        options.Blocks = [new(4) { PoolSize = 4 }, new(4) { PoolSize = 4 }];
        options.ValidationFraction = 0;
        options.EarlyStopping = null;
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(Bars(9, 1))).Transform(ml.Data.LoadFromEnumerable(Bars(9, 1)));

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data));

        StringAssert.Contains(error.Message, "Max pooling with a 4×4 window does not fit an image side of 3");
    }

    [TestMethod]
    public void AugmentationNeedsAnImageTrainer()
    {
        var ml = new MLContext(seed: 1);
        var options = new FeedForwardOptions { Augmentation = new ImageAugmentation { HorizontalFlipProbability = 0.5 } };

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.FeedForward(options).Fit(TestData.KeyedBlobs(ml, 30, 1)));

        StringAssert.Contains(error.Message, "Augmentation needs image input");
    }

    [TestMethod]
    [DataRow("Blocks[0].Channels")]
    [DataRow("Blocks[0].Residual")]
    [DataRow("Augmentation.HorizontalFlipProbability")]
    public void InvalidImageOptionsAreNamed(string option)
    {
        var ml = new MLContext(seed: 1);
        var options = option switch
        {
            "Blocks[0].Channels" => new ConvolutionalNetworkOptions { Blocks = [new(0)] },
            "Blocks[0].Residual" => new ConvolutionalNetworkOptions { Blocks = [new(8) { Residual = true, KernelSize = 5 }] },
            _ => new ConvolutionalNetworkOptions { Augmentation = new ImageAugmentation { HorizontalFlipProbability = 1.5 } },
        };

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options));

        StringAssert.Contains(error.Message, $"Option {option}");
    }

    [TestMethod]
    [DataRow(1L, 8L, 3L, 1L, 1L, true)]
    [DataRow(8L, 4L, 3L, 2L, 1L, false)]
    [DataRow(16L, 8L, 1L, 2L, 0L, false)]
    public void ANarrowConvolutionComputesWhatLibtorchsConvolutionComputes(long input, long output, long kernel, long stride, long padding, bool bias)
    {
        // In double precision libtorch runs its own reference kernels, not the oneDNN ones that fail for narrow outputs.
        manual_seed(5);
        using var module = Convolutions.Create(input, output, kernel, stride, padding, bias);
        Assert.IsInstanceOfType<NarrowConv2dModule>(module);
        TorchSharp.ModuleExtensionMethods.to(module, ScalarType.Float64);
        var x = randn(3, input, 9, 9, dtype: ScalarType.Float64).requires_grad_();
        var weight = module.get_parameter("weight")!;
        var expected = nn.functional.conv2d(x, weight, bias ? module.get_parameter("bias") : null, strides: [stride, stride], padding: [padding, padding]);
        var (expectedInputGradient, expectedWeightGradient) = Gradients(expected);

        var actual = module.forward(x);
        var (inputGradient, weightGradient) = Gradients(actual);

        Assert.IsLessThan(1e-10, actual.sub(expected).abs().max().item<double>());
        Assert.IsLessThan(1e-10, inputGradient.sub(expectedInputGradient).abs().max().item<double>());
        Assert.IsLessThan(1e-10, weightGradient.sub(expectedWeightGradient).abs().max().item<double>());

        (TorchSharp.torch.Tensor Input, TorchSharp.torch.Tensor Weight) Gradients(TorchSharp.torch.Tensor y)
        {
            var grads = autograd.grad([y.square().sum()], [x, weight]);
            return (grads[0], grads[1]);
        }
    }

    [TestMethod]
    public void ANetworkOfNarrowConvolutionsTrainsTheSameEveryRun()
    {
        var images = Bars(150, seed: 1);
        var losses = Enumerable.Range(0, 3).Select(_ =>
        {
            var ml = new MLContext(seed: 1);
            var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(images)).Transform(ml.Data.LoadFromEnumerable(images));
            var options = new ConvolutionalNetworkOptions
            {
                NumberOfEpochs = 3, Seed = 3, BatchSize = 16, HiddenLayerSizes = [16],
                Blocks = [new(8) { Pooling = PoolingKind.None }, new(8) { Residual = true }, new(4) { Residual = true, Stride = 2 }],
            };
            return ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data).History.Select(r => r.TrainLoss).ToArray();
        }).ToArray();

        Assert.IsTrue(losses[0].All(double.IsFinite));
        CollectionAssert.AreEqual(losses[0], losses[1]);
        CollectionAssert.AreEqual(losses[0], losses[2]);
    }

    internal static void RandomizeRunningStatistics(nn.Module network)
    {
        using var noGrad = no_grad();
        foreach (var (name, buffer) in network.named_buffers())
        {
            if (name.EndsWith("running_mean"))
                buffer.copy_(randn(buffer.shape) * 0.5);
            else if (name.EndsWith("running_var"))
                buffer.copy_(rand(buffer.shape) + 0.5);
        }
    }

    private sealed class TrainingBatchSpy : TrainingCallback
    {
        public int Batches { get; private set; }

        public long ErasedPixels { get; private set; }

        public long TrainingSteps { get; private set; }

        public override void OnTrainingEnd(TrainingContext context) => TrainingSteps = context.Step;

        public override TorchSharp.torch.Tensor OnTrainingBatch(TrainingContext context, TorchSharp.torch.Tensor features)
        {
            Batches++;
            ErasedPixels += features.eq(0).sum().item<long>();
            return features;
        }
    }
}

internal sealed class BarImage
{
    public string Label { get; set; } = "";

    [VectorType(1, 12, 12)]
    public float[] Features { get; set; } = [];
}

internal sealed class BinaryBarImage
{
    public bool Label { get; set; }

    [VectorType(1, 12, 12)]
    public float[] Features { get; set; } = [];
}
