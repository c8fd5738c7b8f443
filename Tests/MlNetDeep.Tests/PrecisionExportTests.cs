using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MlNetDeep.Tests;

/// <summary>fp16 models, ONNX files for deployments outside .NET, and the float-vs-int8 report.</summary>
[TestClass]
public sealed class PrecisionExportTests
{
    public static IEnumerable<object[]> EveryKindOfNetwork() => BatchScoringTests.EveryKindOfNetwork();

    public static string Name(MethodInfo method, object[] data) => BatchScoringTests.Name(method, data);

    private static float[][] FloatColumns(IDataView scored) =>
        scored.Schema.Where(c => !c.IsHidden && c.Type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Single && c.Name != "Features")
            .Concat(scored.Schema.Where(c => !c.IsHidden && c.Type == NumberDataViewType.Single && c.Name is "Score" or "Probability"))
            .Select(c => c.Type is VectorDataViewType
                ? scored.GetColumn<float[]>(c.Name).SelectMany(v => v).ToArray()
                : scored.GetColumn<float>(c.Name).ToArray())
            .ToArray();

    [TestMethod]
    [DynamicData(nameof(EveryKindOfNetwork), DynamicDataDisplayName = nameof(Name))]
    public void AFloat16ModelScoresCloseToTheFloatModelAndStillScoresInBatches(string kind, Func<MLContext, (ITransformer, IDataView)> fit)
    {
        var ml = new MLContext(seed: 1);
        var (model, data) = fit(ml);
        if (kind.Contains("GRU") || kind.Contains("LSTM"))
        {
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Model.ConvertToFloat16(model, data)).Message, "stay fp32");
            return;
        }

        var half = ml.Model.ConvertToFloat16(model, data);

        var expected = FloatColumns(model.Transform(data));
        var actual = FloatColumns(half.Transform(data));
        Assert.HasCount(expected.Length, actual, kind);
        for (var c = 0; c < expected.Length; c++)
        {
            var worst = expected[c].Zip(actual[c], (e, a) => Math.Abs(e - a) / (1 + Math.Abs(e))).Max();
            Assert.IsLessThan(0.02, worst, $"{kind}, column {c}");
        }
        using var batched = ml.Model.WithBatchScoring(half);
        Assert.AreEqual(1, batched.BatchedGraphCount, kind);
        CollectionAssert.AreEqual(actual[0], FloatColumns(batched.Transform(data))[0], new BatchScoringTests.FloatTolerance(1e-3f), kind);
    }

    [TestMethod]
    public void AFloat16ModelHalvesTheNetworkAndReloadsFromModelZipInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 200, seed: 2);
        var network = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 2, Seed = 1, HiddenLayerSizes = [256, 128] }).Fit(data);
        var model = new TransformerChain<ITransformer>(network, ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(network.Transform(data)));

        var half = ml.Model.ConvertToFloat16(model, data);

        using var folder = new TemporaryFolder();
        ml.Model.Save(model, data.Schema, folder.File("float.zip"));
        ml.Model.Save(half, data.Schema, folder.File("half.zip"));
        var ratio = (double)new FileInfo(folder.File("float.zip")).Length / new FileInfo(folder.File("half.zip")).Length;
        Assert.IsGreaterThan(1.7, ratio, "model.zip holds fp16 weights");
        SaveLoadTests.AssertFreshProcessAgrees(ml, half, data, "multiclass", scored =>
            scored.GetColumn<string>("PredictedLabel").Zip(scored.GetColumn<float[]>("Score"), (label, score) => (label, score)));
    }

    [TestMethod]
    [DynamicData(nameof(EveryKindOfNetwork), DynamicDataDisplayName = nameof(Name))]
    public void AnExportedOnnxFileScoresABatchAsTheModelScoresItsRows(string kind, Func<MLContext, (ITransformer, IDataView)> fit)
    {
        var ml = new MLContext(seed: 1);
        var (model, data) = fit(ml);
        using var folder = new TemporaryFolder();

        ml.Model.ExportOnnx(model, folder.File("model.onnx"));
        ml.Model.ExportOnnx(model, folder.File("one.onnx"), new OnnxExportOptions { BatchDimension = false });

        using var session = new InferenceSession(folder.File("model.onnx"));
        var input = session.InputMetadata.Single();
        var rows = data.GetColumn<float[]>(input.Key).Take(7).ToArray();
        Assert.AreEqual("N", input.Value.SymbolicDimensions[0], kind);
        var tensor = new DenseTensor<float>(rows.SelectMany(r => r).ToArray(), [rows.Length, .. input.Value.Dimensions[1..]]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.Key, tensor)]);
        var batched = results.First(r => r.ElementType == TensorElementType.Float).AsEnumerable<float>().ToArray();
        var oneByOne = rows.SelectMany(row => Score(folder.File("one.onnx"), row, batched: false, input.Value.Dimensions[1..])).ToArray();
        CollectionAssert.AreEqual(oneByOne, batched, new BatchScoringTests.FloatTolerance(1e-5f), kind);
        Assert.IsFalse(File.Exists(folder.File("model.onnx.writing")));
    }

    [TestMethod]
    public void ExportWritesFloat16AndInt8FilesAndTheSingleExampleGraphWhenAsked()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 200, seed: 2);
        var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 2, Seed = 1, HiddenLayerSizes = [256, 128] }).Fit(data);
        using var folder = new TemporaryFolder();

        ml.Model.ExportOnnx(model, folder.File("fp32.onnx"));
        ml.Model.ExportOnnx(model, folder.File("fp16.onnx"), new OnnxExportOptions { Precision = OnnxPrecision.Float16 });
        ml.Model.ExportOnnx(ml.Model.Quantize(model, data), folder.File("int8.onnx"));
        ml.Model.ExportOnnx(model, folder.File("one.onnx"), new OnnxExportOptions { BatchDimension = false });

        var fp32 = new FileInfo(folder.File("fp32.onnx")).Length;
        Assert.IsGreaterThan(1.8, (double)fp32 / new FileInfo(folder.File("fp16.onnx")).Length);
        Assert.IsGreaterThan(3.0, (double)fp32 / new FileInfo(folder.File("int8.onnx")).Length);
        var row = data.GetColumn<float[]>("Features").First();
        var reference = Score(folder.File("fp32.onnx"), row, batched: true);
        CollectionAssert.AreEqual(reference, Score(folder.File("fp16.onnx"), row, batched: true), new BatchScoringTests.FloatTolerance(1e-2f));
        CollectionAssert.AreEqual(reference, Score(folder.File("int8.onnx"), row, batched: true), new BatchScoringTests.FloatTolerance(5e-2f));
        CollectionAssert.AreEqual(reference, Score(folder.File("one.onnx"), row, batched: false), new BatchScoringTests.FloatTolerance(1e-6f));
    }

    private static float[] Score(string file, float[] row, bool batched, int[]? exampleShape = null)
    {
        using var session = new InferenceSession(file);
        var input = session.InputMetadata.Single();
        exampleShape ??= [row.Length];
        int[] shape = batched ? [1, .. exampleShape] : exampleShape;
        Assert.AreEqual(shape.Length, input.Value.Dimensions.Length, file);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.Key, new DenseTensor<float>(row, shape))]);
        return results.First(r => r.ElementType == TensorElementType.Float).AsEnumerable<float>().ToArray();
    }

    [TestMethod]
    public void ConvertingAQuantizedModelToFloat16OrExportingTwoNetworksIsAClearError()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 80, seed: 2);
        var first = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [8] }).Fit(data);
        var quantized = ml.Model.Quantize(first, data);
        var secondOptions = new FeedForwardOptions { NumberOfEpochs = 1, Seed = 2, HiddenLayerSizes = [8], ScoreColumnName = "SecondScore", PredictedLabelColumnName = "SecondLabel" };
        var twoNetworks = first.Append(ml.MulticlassClassification.Trainers.FeedForward(secondOptions).Fit(first.Transform(data)));
        using var folder = new TemporaryFolder();

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Model.ConvertToFloat16(quantized, data)).Message, "already quantized");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Model.ExportOnnx(twoNetworks, folder.File("two.onnx"))).Message, "2 MlNetDeep networks");
        Assert.IsFalse(File.Exists(folder.File("two.onnx")));
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy().Fit(data);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Model.ConvertToFloat16(sdca, data)).Message, "no MlNetDeep network");
    }

    [TestMethod]
    public void TheQuantizationReportComparesAccuracyAgreementSizeAndSpeedSideBySide()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 400, seed: 2);
        var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 5, Seed = 1, HiddenLayerSizes = [256, 128] }).Fit(data);
        var quantized = ml.Model.Quantize(model, data);

        var report = ml.Model.CompareQuantized(model, quantized, data, batchSizes: [1, 32], throughputRows: 256);

        Assert.AreEqual(ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy, report.FloatAccuracy, 1e-9);
        Assert.AreEqual(ml.MulticlassClassification.Evaluate(quantized.Transform(data)).MicroAccuracy, report.QuantizedAccuracy, 1e-9);
        Assert.IsGreaterThan(0.95, report.Agreement);
        Assert.IsGreaterThan(2.5, report.SizeRatio, "int8 weights in model.zip");
        CollectionAssert.AreEqual(new[] { 1, 32 }, report.Throughput.Select(t => t.BatchSize).ToArray());
        Assert.IsTrue(report.Throughput.All(t => t.FloatRowsPerSecond > 0 && t.QuantizedRowsPerSecond > 0));
        Assert.IsGreaterThan(report.Throughput[0].FloatRowsPerSecond, report.Throughput[1].FloatRowsPerSecond, "batches of 32 outrun single rows");
        StringAssert.Contains(report.ToString(), "batch    32");
    }
}
