using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Registry.Tests;

public sealed class Flower
{
    public string Label { get; set; } = "";

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

public sealed class FlowerPrediction
{
    public string PredictedLabel { get; set; } = "";
}

/// <summary>Small seeded data and ML.NET models (SDCA on a few rows): the registry must work for any ML.NET model.</summary>
internal static class TestModels
{
    public static readonly string[] ClassNames = ["setosa", "versicolor", "virginica"];

    /// <summary>Three separable classes in four dimensions; the seed draws the rows.</summary>
    public static Flower[] Flowers(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var c = i % 3;
            return new Flower
            {
                Label = ClassNames[c],
                Features = Enumerable.Range(0, 4).Select(f => (float)(c * 2 + (f == c ? 1 : 0) + random.NextDouble() * 0.5)).ToArray(),
            };
        }).ToArray();
    }

    public static IEstimator<ITransformer> Pipeline(MLContext ml, int iterations = 10) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: iterations))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>A fitted model, its training data and its test metrics.</summary>
    public static (ITransformer Model, IDataView Train, MulticlassClassificationMetrics Metrics) Fit(int seed = 1, int iterations = 10)
    {
        var ml = new MLContext(seed: seed);
        var train = ml.Data.LoadFromEnumerable(Flowers(60, seed));
        var test = ml.Data.LoadFromEnumerable(Flowers(30, seed + 100));
        var model = Pipeline(ml, iterations).Fit(train);
        return (model, train, ml.MulticlassClassification.Evaluate(model.Transform(test)));
    }

    /// <summary>A model.zip of a fitted model, written to <paramref name="path"/>.</summary>
    public static string SaveModelFile(string path, int seed = 1)
    {
        var (model, train, _) = Fit(seed);
        new MLContext().Model.Save(model, train.Schema, path);
        return path;
    }
}
