using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

/// <summary>Batch scoring: the model's own columns and values, many rows per ONNX Runtime call, for every kind of network.</summary>
[TestClass]
public sealed class BatchScoringTests
{
    private static readonly BatchScoringOptions OddBatches = new() { BatchSize = 7 };

    public static IEnumerable<object[]> EveryKindOfNetwork()
    {
        yield return ["multiclass feed-forward", (Func<MLContext, (ITransformer, IDataView)>)(ml =>
        {
            var data = TestData.KeyedBlobs(ml, 60, seed: 2);
            return (ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [8] }).Fit(data), data);
        })];
        yield return ["binary feed-forward", (Func<MLContext, (ITransformer, IDataView)>)(ml =>
        {
            var data = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(60, seed: 1));
            return (ml.BinaryClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [8], BatchNormalization = true }).Fit(data), data);
        })];
        yield return ["regression feed-forward", (Func<MLContext, (ITransformer, IDataView)>)(ml =>
        {
            var data = ml.Data.LoadFromEnumerable(TestData.Smooth(60, seed: 2));
            return (ml.Regression.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [8] }).Fit(data), data);
        })];
        yield return ["convolutional, residual and narrow", (Func<MLContext, (ITransformer, IDataView)>)(ml =>
        {
            var images = ConvolutionalNetworkTests.Bars(60, seed: 1);
            var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(images)).Transform(ml.Data.LoadFromEnumerable(images));
            var options = new ConvolutionalNetworkOptions
            {
                NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [8], ClassifierInput = ClassifierInput.GlobalAveragePooling,
                Blocks = [new(8) { Pooling = PoolingKind.Average }, new(16) { Residual = true, Stride = 2, Pooling = PoolingKind.None }],
            };
            return (ml.MulticlassClassification.Trainers.ConvolutionalNetwork(options).Fit(data), data);
        })];
        yield return ["bidirectional GRU with attention pooling", (Func<MLContext, (ITransformer, IDataView)>)(ml =>
        {
            var data = ml.Data.LoadFromEnumerable(SequenceTestData.RecallFirst(60, seed: 1));
            var options = new RecurrentNetworkOptions { Kind = RecurrentKind.Gru, HiddenSize = 8, Bidirectional = true, Pooling = SequencePooling.Attention, NumberOfEpochs = 1, Seed = 1 };
            return (ml.Regression.Trainers.RecurrentNetwork(options).Fit(data), data);
        })];
        yield return ["LSTM, two layers", (Func<MLContext, (ITransformer, IDataView)>)(ml =>
        {
            var data = ml.Data.LoadFromEnumerable(SequenceTestData.FirstAboveLast(60, seed: 1));
            var options = new RecurrentNetworkOptions { HiddenSize = 8, NumberOfLayers = 2, NumberOfEpochs = 1, Seed = 1 };
            return (ml.BinaryClassification.Trainers.RecurrentNetwork(options).Fit(data), data);
        })];
        yield return ["Transformer over image patches with a class token", (Func<MLContext, (ITransformer, IDataView)>)(ml =>
        {
            var images = ConvolutionalNetworkTests.Bars(60, seed: 1);
            var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(images)).Transform(ml.Data.LoadFromEnumerable(images));
            var options = new TransformerNetworkOptions { ImagePatchSize = 4, ModelDimensions = 8, Heads = 2, NumberOfLayers = 1, FeedForwardSize = 16, Pooling = SequencePooling.First, NumberOfEpochs = 1, Seed = 1 };
            return (ml.MulticlassClassification.Trainers.TransformerNetwork(options).Fit(data), data);
        })];
    }

    public static string Name(MethodInfo method, object[] data) => $"{method.Name} ({data[0]})";

    [TestMethod]
    [DynamicData(nameof(EveryKindOfNetwork), DynamicDataDisplayName = nameof(Name))]
    public void BatchScoringGivesTheModelsOwnColumnsAndValues(string kind, Func<MLContext, (ITransformer, IDataView)> fit)
    {
        var ml = new MLContext(seed: 1);
        var (model, data) = fit(ml);

        using var batched = ml.Model.WithBatchScoring(model, OddBatches);

        Assert.AreEqual(1, batched.BatchedGraphCount, kind);
        AssertSameColumns(model.Transform(data), batched.Transform(data));
    }

    [TestMethod]
    public void AModelLoadedFromModelZipScoresInBatchesInsideItsPipeline()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(TestData.Blobs(90, seed: 2));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 2, Seed = 1, HiddenLayerSizes = [8] }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(raw);
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, raw.Schema, folder.File("model.zip"));
        var loaded = new MLContext().Model.Load(folder.File("model.zip"), out _);

        using var batched = ml.Model.WithBatchScoring(loaded, OddBatches);

        AssertSameColumns(loaded.Transform(raw), batched.Transform(raw));
        Assert.AreEqual(ml.MulticlassClassification.Evaluate(loaded.Transform(raw)).LogLoss, ml.MulticlassClassification.Evaluate(batched.Transform(raw)).LogLoss, 1e-6);
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void TokenSequencesOfVaryingLengthScoreOneRowAtATimeAndSaySo()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Data.LoadFromEnumerable(SequenceTestData.Reviews(40, seed: 1));
        var model = SequenceTestData.TokenPipelineEstimator(ml)
            .Append(ml.BinaryClassification.Trainers.RecurrentNetwork(new RecurrentNetworkOptions { HiddenSize = 8, EmbeddingDimensions = 8, NumberOfEpochs = 1, Seed = 1 })).Fit(text);

        using var batched = ml.Model.WithBatchScoring(model, OddBatches);

        Assert.AreEqual(0, batched.BatchedGraphCount);
        StringAssert.Contains(batched.RowByRowReasons.Single(), "variable length");
        AssertSameColumns(model.Transform(text), batched.Transform(text));
    }

    [TestMethod]
    public void TheBatchPredictionEnginePredictsWhatAPredictionEnginePredicts()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 80, seed: 2);
        var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 2, Seed = 1, HiddenLayerSizes = [8] }).Fit(data);
        var inputs = ml.Data.CreateEnumerable<FeaturesOnly>(data, reuseRowObject: false).ToArray();
        var rows = new List<long>();

        using var engine = ml.Model.CreateBatchPredictionEngine<FeaturesOnly, ScoreOnly>(model, new BatchScoringOptions { BatchSize = 16 });
        var batched = engine.Predict(inputs);
        using var single = ml.Model.CreatePredictionEngine<FeaturesOnly, ScoreOnly>(model, new PredictionEngineOptions { OwnsTransformer = false });

        Assert.HasCount(inputs.Length, batched);
        for (var i = 0; i < inputs.Length; i++)
            CollectionAssert.AreEqual(single.Predict(inputs[i]).Score, batched[i].Score, new FloatTolerance(1e-5f), $"row {i}");
    }

    [TestMethod]
    public void ProgressReportsTheRowsScoredAfterEveryBatch()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 50, seed: 2);
        var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [8] }).Fit(data);
        var reports = new List<long>();

        using var batched = ml.Model.WithBatchScoring(model, new BatchScoringOptions { BatchSize = 16 }, new SynchronousProgress(reports.Add));
        _ = batched.Transform(data).GetColumn<float[]>("Score").ToArray();

        CollectionAssert.AreEqual(new long[] { 16, 32, 48, 50 }, reports);
    }

    [TestMethod]
    public void AnExecutionProviderThisProcessLacksIsAnErrorNamingItsPackage()
    {
        var ml = new MLContext(seed: 1);

        var error = Assert.ThrowsExactly<NotSupportedException>(() => ml.UseOnnxExecution(new OnnxExecutionOptions { ExecutionProvider = "CUDA" }));

        StringAssert.Contains(error.Message, "Microsoft.ML.OnnxRuntime.Gpu");
        StringAssert.Contains(error.Message, "CPUExecutionProvider");
    }

    [TestMethod]
    public void AMissingProviderFallsBackToTheCpuOnlyWhenAskedAndScoresTheSame()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 40, seed: 2);
        var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [8] }).Fit(data);
        var options = new OnnxExecutionOptions { ExecutionProvider = "TensorRT", FallbackToCpu = true, IntraOpThreads = 1, GraphOptimization = OnnxGraphOptimization.Basic };

        Assert.AreEqual("CPUExecutionProvider", OnnxExecution.ResolveProvider(options));
        using var batched = ml.Model.WithBatchScoring(model, new BatchScoringOptions { Execution = options });
        var loading = new MLContext();
        loading.UseOnnxExecution(options);
        using var folder = new TemporaryFolder();
        ml.Model.Save(model, data.Schema, folder.File("model.zip"));
        var loaded = loading.Model.Load(folder.File("model.zip"), out _);

        AssertSameColumns(model.Transform(data), batched.Transform(data));
        AssertSameColumns(model.Transform(data), loaded.Transform(data));
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    [DataRow("BatchSize")]
    [DataRow("Execution.IntraOpThreads")]
    [DataRow("Execution.ExecutionProvider")]
    public void InvalidBatchScoringOptionsAreNamed(string option)
    {
        var options = option switch
        {
            "BatchSize" => new BatchScoringOptions { BatchSize = 0 },
            "Execution.IntraOpThreads" => new BatchScoringOptions { Execution = new OnnxExecutionOptions { IntraOpThreads = 0 } },
            _ => new BatchScoringOptions { Execution = new OnnxExecutionOptions { ExecutionProvider = " " } },
        };

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);

        StringAssert.Contains(error.Message, "Option " + option.Split('.')[^1]);
    }

    [TestMethod]
    public void DataWithoutTheFeatureColumnIsAnErrorNamingIt()
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.KeyedBlobs(ml, 40, seed: 2);
        var model = ml.MulticlassClassification.Trainers.FeedForward(new FeedForwardOptions { NumberOfEpochs = 1, Seed = 1, HiddenLayerSizes = [8] }).Fit(data);
        using var batched = ml.Model.WithBatchScoring(model);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => batched.Transform(ml.Data.LoadFromEnumerable(new[] { new { Pixels = 1f } })));

        StringAssert.Contains(error.Message, "'Features'");
    }

    /// <summary>Every visible column of <paramref name="expected"/> is in <paramref name="actual"/> with the same type and values (floats within 1e-5).</summary>
    private static void AssertSameColumns(IDataView expected, IDataView actual)
    {
        foreach (var column in expected.Schema.Where(c => !c.IsHidden))
        {
            var other = actual.Schema[column.Name];
            Assert.AreEqual(column.Type, other.Type, column.Name);
            var want = Read(expected, column);
            var got = Read(actual, other);
            Assert.HasCount(want.Count, got, column.Name);
            for (var row = 0; row < want.Count; row++)
            {
                if (want[row] is float[] floats)
                    CollectionAssert.AreEqual(floats, (float[])got[row], new FloatTolerance(1e-5f), $"{column.Name}, row {row}");
                else if (want[row] is float value)
                    Assert.AreEqual(value, (float)got[row], 1e-5f, $"{column.Name}, row {row}");
                else
                    Assert.AreEqual(want[row], got[row], $"{column.Name}, row {row}");
            }
        }
    }

    private static List<object> Read(IDataView data, DataViewSchema.Column column)
    {
        var values = new List<object>();
        using var cursor = data.GetRowCursor([column]);
        Func<object> read = column.Type switch
        {
            VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Single => Getter<VBuffer<float>, float[]>(cursor, column, v => v.DenseValues().ToArray()),
            VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Int64 => Getter<VBuffer<long>, string>(cursor, column, v => string.Join(",", v.DenseValues())),
            VectorDataViewType { ItemType: TextDataViewType } => Getter<VBuffer<ReadOnlyMemory<char>>, string>(cursor, column, v => string.Join(",", v.DenseValues())),
            VectorDataViewType => Getter<VBuffer<uint>, string>(cursor, column, v => string.Join(",", v.DenseValues())),
            KeyDataViewType => Getter<uint, uint>(cursor, column, v => v),
            TextDataViewType => Getter<ReadOnlyMemory<char>, string>(cursor, column, v => v.ToString()),
            BooleanDataViewType => Getter<bool, bool>(cursor, column, v => v),
            _ when column.Type == NumberDataViewType.Single => Getter<float, float>(cursor, column, v => v),
            _ => throw new AssertFailedException($"No reader for column '{column.Name}' of type {column.Type}."),
        };
        while (cursor.MoveNext())
            values.Add(read());
        return values;
    }

    private static Func<object> Getter<TValue, TResult>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<TValue, TResult> convert)
    {
        var getter = cursor.GetGetter<TValue>(column);
        return () =>
        {
            TValue value = default!;
            getter(ref value);
            return convert(value)!;
        };
    }

    private sealed class FloatTolerance(float tolerance) : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs((float)x! - (float)y!) <= tolerance ? 0 : 1;
    }

    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    private sealed class FeaturesOnly
    {
        [VectorType(TestData.FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    private sealed class ScoreOnly
    {
        public float[] Score { get; set; } = [];
    }
}
