using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MlNetDeep.Benchmarks;

/// <summary>Fashion-MNIST as installed by the dataset-fashion-mnist package: 60k training and 10k test images.</summary>
internal sealed class FashionMnist
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";

    private readonly MLContext ml;

    private FashionMnist(MLContext ml, IDataView train, IDataView test, ITransformer labelToKey)
    {
        this.ml = ml;
        Train = train;
        Test = test;
        LabelToKey = labelToKey;
        KeyedTrain = labelToKey.Transform(train);
    }

    /// <summary>Label (text) and Features (28x28 pixels in [0, 1]).</summary>
    public IDataView Train { get; }

    public IDataView Test { get; }

    /// <summary>The <c>MapValueToKey("Label")</c> step of the pipeline, fitted once so that trainer Fits can be timed alone.</summary>
    public ITransformer LabelToKey { get; }

    /// <summary>The training data with the label as a key, as the trainer sees it inside the pipeline.</summary>
    public IDataView KeyedTrain { get; }

    public int TrainCount => (int)Train.GetRowCount()!.Value;

    public static FashionMnist Load(MLContext ml)
    {
        var train = Read(ml, "train");
        var test = Read(ml, "t10k");
        return new FashionMnist(ml, train, test, ml.Transforms.Conversion.MapValueToKey("Label").Fit(train));
    }

    /// <summary>The first <paramref name="rows"/> rows of <see cref="KeyedTrain"/>.</summary>
    public IDataView KeyedTrainHead(int rows) => rows >= TrainCount ? KeyedTrain : ml.Data.TakeRows(KeyedTrain, rows);

    /// <summary>The test set as objects for a PredictionEngine.</summary>
    public FashionItem[] TestItems() => ml.Data.CreateEnumerable<FashionItem>(Test, reuseRowObject: false).ToArray();

    private static IDataView Read(MLContext ml, string split)
    {
        var images = Path.Combine(Folder, $"{split}-images-idx3-ubyte.gz");
        if (!File.Exists(images))
            throw new FileNotFoundException($"Fashion-MNIST is not installed at {Folder} (apt-get install dataset-fashion-mnist).", images);
        return ml.Data.LoadIdxImages(images, Path.Combine(Folder, $"{split}-labels-idx1-ubyte.gz"), IdxImages.FashionMnistClassNames);
    }
}

/// <summary>Examples held as tensors: features [n, …] and class indices [n].</summary>
internal sealed record TensorDataset(Tensor Features, Tensor Targets) : IDisposable
{
    public long Count => Targets.shape[0];

    /// <summary>Reads keyed data (Label a key, Features a float vector): class index = key - 1, as the trainer encodes it.</summary>
    public static TensorDataset Read(IDataView keyedData)
    {
        var featureColumn = keyedData.Schema["Features"];
        var labelColumn = keyedData.Schema["Label"];
        var size = ((VectorDataViewType)featureColumn.Type).Size;
        var count = keyedData.GetRowCount() ?? throw new ArgumentException("The data must know its row count.", nameof(keyedData));
        var features = new float[count * size];
        var targets = new long[count];
        using var cursor = keyedData.GetRowCursor([featureColumn, labelColumn]);
        var readFeatures = cursor.GetGetter<VBuffer<float>>(featureColumn);
        var readLabel = cursor.GetGetter<uint>(labelColumn);
        VBuffer<float> pixels = default;
        uint key = 0;
        for (var row = 0; cursor.MoveNext(); row++)
        {
            readFeatures(ref pixels);
            pixels.CopyTo(features.AsSpan(row * size, size));
            readLabel(ref key);
            targets[row] = key - 1;
        }
        return new TensorDataset(tensor(features, [count, size]), tensor(targets));
    }

    public void Dispose()
    {
        Features.Dispose();
        Targets.Dispose();
    }
}

/// <summary>One Fashion-MNIST row as a PredictionEngine input; the label is there because the pipeline starts with MapValueToKey("Label").</summary>
internal sealed class FashionItem
{
    public string Label { get; set; } = "";

    [VectorType(28, 28)]
    public float[] Features { get; set; } = [];
}

/// <summary>A PredictionEngine output: class probabilities and the predicted class as a key.</summary>
internal sealed class FashionPrediction
{
    [VectorType(10)]
    public float[] Score { get; set; } = [];

    public uint PredictedLabel { get; set; }
}
