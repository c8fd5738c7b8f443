using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace MlNetDeep.Tests;

/// <summary>INT8 quantization of fitted models: ordinary ML.NET models that predict almost as the float ones do.</summary>
[TestClass]
public sealed class QuantizationTests
{
    private static (MLContext Ml, IDataView Data, ITransformer Model) Mlp()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 600, seed: 2);
        var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 15, Seed = 1, HiddenLayerSizes = [64, 32], BatchNormalization = true }).Fit(data);
        return (ml, data, model);
    }

    private static (MLContext Ml, IDataView Data, ITransformer Model) Cnn()
    {
        var ml = new MLContext(seed: 1);
        var images = ConvolutionalNetworkTests.Bars(300, seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(images)).Transform(ml.Data.LoadFromEnumerable(images));
        var options = new ConvolutionalNetworkOptions { NumberOfEpochs = 8, Seed = 3, HiddenLayerSizes = [32], Blocks = [new(16), new(16) { Residual = true }] };
        return (ml, data, ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data));
    }

    private static double Agreement(IDataView a, IDataView b) =>
        a.GetColumn<uint>("PredictedLabel").Zip(b.GetColumn<uint>("PredictedLabel")).Average(p => p.First == p.Second ? 1.0 : 0.0);

    [TestMethod]
    [DataRow(QuantizationMode.Dynamic, WeightGranularity.PerChannel)]
    [DataRow(QuantizationMode.Dynamic, WeightGranularity.PerTensor)]
    [DataRow(QuantizationMode.Static, WeightGranularity.PerChannel)]
    [DataRow(QuantizationMode.Static, WeightGranularity.PerTensor)]
    public void AQuantizedFeedForwardNetworkPredictsWhatTheFloatOneDoes(QuantizationMode mode, WeightGranularity weights)
    {
        var (ml, data, model) = Mlp();

        var quantized = ml.Model.Quantize(model, data, new QuantizationOptions { Mode = mode, Weights = weights, CalibrationRows = 300 });

        var (expected, actual) = (model.Transform(data), quantized.Transform(data));
        Assert.IsGreaterThan(0.97, Agreement(expected, actual), "predicted labels agree");
        var floatScores = expected.GetColumn<float[]>("Score").ToArray();
        var int8Scores = actual.GetColumn<float[]>("Score").ToArray();
        Assert.IsLessThan(0.05, floatScores.Zip(int8Scores, (f, q) => f.Zip(q, (x, y) => Math.Abs(x - y)).Max()).Average(), "probabilities stay close");
    }

    [TestMethod]
    [DataRow(CalibrationMethod.MinMax)]
    [DataRow(CalibrationMethod.Percentile)]
    [DataRow(CalibrationMethod.Entropy)]
    public void AStaticallyQuantizedConvolutionalNetworkKeepsItsAccuracyOnFashionMnist(CalibrationMethod calibration)
    {
        var ml = new MLContext(seed: 1);
        var folder = Path.Combine(AppContext.BaseDirectory, "Data", "fashion-mnist");
        var train = ml.Data.TakeRows(ml.Data.LoadIdxImages(Path.Combine(folder, "train-images-idx3-ubyte.gz"), Path.Combine(folder, "train-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames), 2000);
        var test = ml.Data.LoadIdxImages(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions
        {
            NumberOfEpochs = 3, Seed = 1, BatchSize = 64, EarlyStopping = null, ValidationFraction = 0, Blocks = [new(16), new(32)], HiddenLayerSizes = [64],
        })).Fit(train);
        var floatAccuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;

        var quantized = ml.Model.Quantize(model, train, new QuantizationOptions { Mode = QuantizationMode.Static, Calibration = calibration, CalibrationRows = 200 });

        var accuracy = ml.MulticlassClassification.Evaluate(quantized.Transform(test)).MicroAccuracy;
        Assert.IsGreaterThan(0.7, floatAccuracy);
        Assert.IsGreaterThan(floatAccuracy - 0.015, accuracy, $"float {floatAccuracy:F4}");
        Assert.IsGreaterThan(0.9, Agreement(model.Transform(test), quantized.Transform(test)));
    }

    [TestMethod]
    public void ONNXRuntimeRunsTheQuantizedGraphsWithItsFusedIntegerKernels()
    {
        var (ml, data, model) = Cnn();
        var graph = new Quantization.GraphEditor(global::Onnx.ModelProto.Parser.ParseFrom(((DeepPredictionTransformer)model).Network.ToOnnx()));
        var rows = data.GetColumn<float[]>("Features").Take(50).ToArray();
        using var folder = new TemporaryFolder();

        var staticGraph = QuantizationCatalog.QuantizeGraph(graph, rows, new QuantizationOptions { Mode = QuantizationMode.Static }, []);
        var optimized = OptimizedOperators(staticGraph, folder.File("static.onnx"));

        CollectionAssert.Contains(optimized, "QLinearConv");
        Assert.IsTrue(optimized.Contains("QGemm") || optimized.Contains("QLinearMatMul"), string.Join(", ", optimized));
        CollectionAssert.DoesNotContain(optimized, "Conv", "every convolution runs in int8");

        var (_, _, mlp) = Mlp();
        var dynamicGraph = QuantizationCatalog.QuantizeGraph(new Quantization.GraphEditor(global::Onnx.ModelProto.Parser.ParseFrom(((DeepPredictionTransformer)mlp).Network.ToOnnx())),
            [], new QuantizationOptions(), []);
        CollectionAssert.Contains(OptimizedOperators(dynamicGraph, folder.File("dynamic.onnx")), "DynamicQuantizeMatMul");
    }

    [TestMethod]
    public void AQuantizedModelSavesLoadsAndScoresTheSameInAProcessWithoutTorchSharp()
    {
        var (ml, data, network) = Cnn();
        var model = new TransformerChain<ITransformer>(network, ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(network.Transform(data)));
        var quantized = ml.Model.Quantize(model, data, new QuantizationOptions { Mode = QuantizationMode.Static, CalibrationRows = 50 });

        SaveLoadTests.AssertFreshProcessAgrees(ml, quantized, data, "multiclass", scored =>
            scored.GetColumn<string>("PredictedLabel").Zip(scored.GetColumn<float[]>("Score"), (label, score) => (label, score)));
    }

    [TestMethod]
    public void LayersKeptInFloatStayInFloat()
    {
        var (ml, data, model) = Mlp();
        var layers = ml.Model.QuantizationSensitivity(model, data, data, options: new QuantizationOptions { Mode = QuantizationMode.Static, CalibrationRows = 100 });

        Assert.HasCount(3, layers, "two hidden layers and the output layer");
        var first = layers[0].Layer;
        var quantized = ml.Model.Quantize(model, data, new QuantizationOptions { KeepFloatLayers = [first], KeepLastLayerFloat = true });
        Assert.IsGreaterThan(0.97, Agreement(model.Transform(data), quantized.Transform(data)));
        Assert.IsTrue(layers.All(l => Math.Abs(l.AccuracyDrop) < 0.05), string.Join(", ", layers));
    }

    [TestMethod]
    public void QuantizingSomethingOtherThanAnMlNetDeepModelIsAClearErrorAndLeavesItAlone()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 100, seed: 2);
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy().Fit(data);
        var before = sdca.Transform(data).GetColumn<float[]>("Score").First();

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.Model.Quantize(sdca, data));

        StringAssert.Contains(error.Message, "no MlNetDeep network");
        CollectionAssert.AreEqual(before, sdca.Transform(data).GetColumn<float[]>("Score").First());
    }

    [TestMethod]
    public void BadCalibrationDataIsAClearError()
    {
        var (ml, data, model) = Mlp();
        var nan = ml.Data.LoadFromEnumerable(TestData.Blobs(10, seed: 1).Select((e, i) => { if (i == 3) e.Features[2] = float.NaN; return e; }));
        var keyedNan = ml.Transforms.Conversion.MapValueToKey("Label").Fit(nan).Transform(nan);

        var labelToKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(TestData.Blobs(10, seed: 1)));
        var empty = labelToKey.Transform(ml.Data.LoadFromEnumerable(Array.Empty<ClassExample>()));
        var otherSchema = ml.Data.LoadFromEnumerable(new[] { new { Pixels = new float[3] } });
        var staticMode = new QuantizationOptions { Mode = QuantizationMode.Static };

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Model.Quantize(model, keyedNan, staticMode)).Message, "row 3, slot 2");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Model.Quantize(model, empty, staticMode)).Message, "no rows");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Model.Quantize(model, otherSchema)).Message, "Features");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.Quantize(model, data, new QuantizationOptions { KeepFloatLayers = ["99"] })).Message, "'99'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.Quantize(model, data, new QuantizationOptions { Percentile = 40 })).Message, "Option Percentile");
    }

    /// <summary>The operator types ONNX Runtime runs after optimizing <paramref name="onnx"/> (it writes the optimized graph to <paramref name="path"/>).</summary>
    internal static string[] OptimizedOperators(byte[] onnx, string path)
    {
        using var options = new SessionOptions { OptimizedModelFilePath = path, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED };
        using (new InferenceSession(onnx, options))
        {
        }
        return global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.Select(n => n.OpType).Distinct().ToArray();
    }
}
