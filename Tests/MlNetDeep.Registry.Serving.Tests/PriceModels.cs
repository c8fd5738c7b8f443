using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Registry.Serving.Tests;

public sealed class HouseInput
{
    public float Size { get; set; }
}

public sealed class PricePrediction
{
    public float Score { get; set; }
}

/// <summary>Three small ML.NET regression models (trained on price = slope × size for slopes 2, −3 and 5), trained once for all tests.</summary>
[TestClass]
public static class PriceModels
{
    public static string Folder { get; private set; } = "";

    /// <summary>Model files by slope.</summary>
    public static IReadOnlyDictionary<int, string> BySlope { get; private set; } = new Dictionary<int, string>();

    public static HouseInput Probe { get; } = new() { Size = 1 };

    private static readonly Dictionary<int, float> expected = [];

    [AssemblyInitialize]
    public static void Train(TestContext context)
    {
        Folder = Directory.CreateTempSubdirectory("mlnetdeep-registry-serving-").FullName;
        var ml = new MLContext(seed: 1);
        BySlope = new[] { 2, -3, 5 }.ToDictionary(slope => slope, slope =>
        {
            var rows = Enumerable.Range(0, 50).Select(i => new PricedHouse { Size = i / 50f, Price = slope * i / 50f }).ToArray();
            var data = ml.Data.LoadFromEnumerable(rows);
            var model = ml.Transforms.Concatenate("Features", nameof(PricedHouse.Size))
                .Append(ml.Regression.Trainers.Sdca(labelColumnName: nameof(PricedHouse.Price), maximumNumberOfIterations: 50))
                .Fit(data);
            var path = Path.Combine(Folder, $"slope{slope}.zip");
            ml.Model.Save(model, data.Schema, path);
            expected[slope] = ml.Model.CreatePredictionEngine<HouseInput, PricePrediction>(model).Predict(Probe).Score;
            return path;
        });
        if (expected.Values.Distinct().Count() != expected.Count)
            throw new InvalidOperationException("The test models must predict differently for the probe.");
    }

    [AssemblyCleanup]
    public static void Cleanup() => Directory.Delete(Folder, recursive: true);

    /// <summary>Whether <paramref name="score"/> is what the model of <paramref name="slope"/> predicts for <see cref="Probe"/>.</summary>
    public static bool IsFrom(int slope, float score) => Math.Abs(score - expected[slope]) < 1e-5f;

    private sealed class PricedHouse
    {
        public float Size { get; set; }

        public float Price { get; set; }
    }
}
