using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Generative;
using static MlNetDeep.Tests.Evaluators.ReferenceData;

namespace MlNetDeep.Tests.Evaluators;

/// <summary>Fréchet distance (against SciPy's matrix square root), its eigen-solver, ResNet18 features and the Inception Score.</summary>
[TestClass]
public sealed class GenerativeMetricsTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static float[][] FeatureRows(string name) => GenerativeReference.GetProperty(name).EnumerateArray().Select(Floats).ToArray();

    private static float[][] Gaussian(int rows, int dimension, int seed, double scale = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, dimension)
            .Select(_ => (float)(scale * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray()).ToArray();
    }

    private static float[][] Shifted(float[][] rows, float shift) => rows.Select(r => r.Select(v => v + shift).ToArray()).ToArray();

    [TestMethod]
    public void FrechetDistanceEqualsTheScipyReference() =>
        AssertClose(GenerativeReference.GetProperty("frechet_distance").GetDouble(),
            GenerativeMetrics.FrechetDistance(FeatureRows("features1"), FeatureRows("features2")), "Fréchet distance");

    [TestMethod]
    public void FrechetDistanceWithFewerRowsThanFeaturesEqualsTheSingularValueReference() =>
        AssertClose(GenerativeReference.GetProperty("frechet_distance_few_rows").GetDouble(),
            GenerativeMetrics.FrechetDistance(FeatureRows("few_rows1"), FeatureRows("few_rows2")), "Fréchet distance, 24 and 30 rows of 40 features");

    [TestMethod]
    public void FrechetDistanceOfASetWithItselfIsZero()
    {
        var features = FeatureRows("features1");
        Assert.AreEqual(0, GenerativeMetrics.FrechetDistance(features, features), 1e-9);
    }

    [TestMethod]
    public void FrechetDistanceOfAShiftedSetIsTheSquaredShiftAlsoWithFewerRowsThanFeatures()
    {
        // Shifting every feature by δ moves the mean by δ per dimension and leaves the covariance: the distance is d·δ².
        // With 20 rows of 64 features the covariance is singular, which a square root of Σ₁Σ₂ handles badly.
        foreach (var (rows, dimension) in new[] { (200, 16), (20, 64) })
        {
            var features = Gaussian(rows, dimension, seed: 3);
            var previous = 0.0;
            foreach (var shift in new[] { 0.25f, 0.5f, 1f })
            {
                var distance = GenerativeMetrics.FrechetDistance(features, Shifted(features, shift));
                Assert.AreEqual(dimension * shift * shift, distance, 1e-6 * dimension, $"{rows} × {dimension}, shift {shift}");
                Assert.IsGreaterThan(previous, distance);
                previous = distance;
            }
        }
    }

    [TestMethod]
    public void FrechetDistanceHandlesFeaturesThatAreAlwaysZeroAsDeadReLUUnitsGive()
    {
        // Non-negative features, a third of them never active: the covariances have blocks of exact zeros.
        float[][] Relu(int seed) => Gaussian(500, 128, seed).Select(row => row.Select((v, i) => i % 3 == 0 ? 0f : Math.Max(v, 0f)).ToArray()).ToArray();
        var first = Relu(1);
        var second = Relu(2);

        var distance = GenerativeMetrics.FrechetDistance(first, second);

        Assert.IsTrue(double.IsFinite(distance) && distance > 0, $"{distance}");
        Assert.AreEqual(0, GenerativeMetrics.FrechetDistance(first, first), 1e-6);
    }

    [TestMethod]
    public void FrechetDistanceGrowsWithADifferenceInSpread()
    {
        var features = Gaussian(400, 8, seed: 5);
        var wider = GenerativeMetrics.FrechetDistance(features, Gaussian(400, 8, seed: 6, scale: 1.5));
        var same = GenerativeMetrics.FrechetDistance(features, Gaussian(400, 8, seed: 6));
        Assert.IsGreaterThan(same, wider);
    }

    [TestMethod]
    public void FrechetDistanceRejectsEmptyAndMismatchedSets()
    {
        var features = Gaussian(10, 4, seed: 1);
        Assert.AreEqual("features1", Assert.ThrowsExactly<ArgumentException>(() => GenerativeMetrics.FrechetDistance([], features)).ParamName);
        Assert.AreEqual("features2", Assert.ThrowsExactly<ArgumentException>(() => GenerativeMetrics.FrechetDistance(features, [features[0]])).ParamName);
        var mismatch = Assert.ThrowsExactly<ArgumentException>(() => GenerativeMetrics.FrechetDistance(features, Gaussian(10, 5, seed: 2)));
        Assert.AreEqual("features2", mismatch.ParamName);
        StringAssert.Contains(mismatch.Message, "5 features; expected 4");
        features[3][1] = float.NaN;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => GenerativeMetrics.FrechetDistance(features, features)).Message, "row 3");
    }

    [TestMethod]
    public void TheEigenDecompositionReconstructsASymmetricMatrix()
    {
        const int n = 40;
        var random = new Random(7);
        var matrix = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
                matrix[i * n + j] = matrix[j * n + i] = random.NextDouble() * 2 - 1;
        }
        var (values, vectors) = SymmetricEigen.Decompose(matrix, n, withVectors: true);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double reconstructed = 0, gram = 0;
                for (var k = 0; k < n; k++)
                {
                    reconstructed += vectors![i * n + k] * values[k] * vectors[j * n + k];
                    gram += vectors[k * n + i] * vectors[k * n + j];
                }
                Assert.AreEqual(matrix[i * n + j], reconstructed, 1e-12, $"A[{i},{j}]");
                Assert.AreEqual(i == j ? 1.0 : 0.0, gram, 1e-12, $"VᵀV[{i},{j}]");
            }
        }
    }

    [TestMethod]
    public void TheEigenvaluesOfAKnownMatrixAreExact()
    {
        // The n × n tridiagonal (−1, 2, −1) has eigenvalues 2 − 2 cos(kπ / (n + 1)), k = 1 … n.
        const int n = 50;
        var matrix = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            matrix[i * n + i] = 2;
            if (i + 1 < n)
                matrix[i * n + i + 1] = matrix[(i + 1) * n + i] = -1;
        }
        var expected = Enumerable.Range(1, n).Select(k => 2 - 2 * Math.Cos(k * Math.PI / (n + 1))).Order().ToArray();
        var (values, _) = SymmetricEigen.Decompose(matrix, n, withVectors: false);
        AssertAllClose(expected, values.Order().ToArray(), "eigenvalues");
    }

    [TestMethod]
    public void InceptionScoreEqualsTheReferenceImplementation()
    {
        var expected = GenerativeReference.GetProperty("inception_score");
        var result = GenerativeMetrics.InceptionScore(FeatureRows("class_probabilities"), GenerativeReference.GetProperty("inception_score_splits").GetInt32());
        AssertClose(expected.GetProperty("mean").GetDouble(), result.Mean, "mean");
        AssertClose(expected.GetProperty("standard_deviation").GetDouble(), result.StandardDeviation, "standard deviation");
        AssertAllClose(Doubles(expected.GetProperty("split_scores")), result.SplitScores, "split scores");
    }

    [TestMethod]
    public void InceptionScoreIsTheClassCountForConfidentEvenPredictionsAndOneForUniformOnes()
    {
        var confident = Enumerable.Range(0, 40).Select(i => Enumerable.Range(0, 4).Select(c => c == i % 4 ? 1f : 0f).ToArray()).ToArray();
        Assert.AreEqual(4.0, GenerativeMetrics.InceptionScore(confident, splits: 2).Mean, 1e-12);
        var uniform = Enumerable.Range(0, 40).Select(_ => new[] { 0.25f, 0.25f, 0.25f, 0.25f }).ToArray();
        Assert.AreEqual(1.0, GenerativeMetrics.InceptionScore(uniform, splits: 2).Mean, 1e-12);
    }

    [TestMethod]
    public void InceptionScoreReadsTheScoreColumnOfScoredData()
    {
        var rows = FeatureRows("class_probabilities");
        var scored = Ml.Data.LoadFromEnumerable(rows.Select(r => new ProbabilityRow { Score = r }));
        Assert.AreEqual(GenerativeMetrics.InceptionScore(rows, 5).Mean, GenerativeMetrics.InceptionScore(scored, splits: 5).Mean);
    }

    [TestMethod]
    public void InceptionScoreRejectsTooFewRowsAndRaggedRows()
    {
        Assert.AreEqual("classProbabilities", Assert.ThrowsExactly<ArgumentException>(() => GenerativeMetrics.InceptionScore([[1f, 0f]], splits: 2)).ParamName);
        Assert.AreEqual("classProbabilities", Assert.ThrowsExactly<ArgumentException>(() => GenerativeMetrics.InceptionScore([[1f, 0f], [1f]], splits: 1)).ParamName);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => GenerativeMetrics.InceptionScore([[1f, 0f], [-0.5f, 1.5f]], splits: 1)).Message, "Row 1");
    }

    [TestMethod]
    public void ResNet18FrechetDistanceIsAboutZeroForTheSameImagesAndGrowsWithABrightnessShift()
    {
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-fid-");
        try
        {
            var original = ImageSet(folder.FullName, "original", brightness: 0);
            var brighter = ImageSet(folder.FullName, "brighter", brightness: 60);
            var brightest = ImageSet(folder.FullName, "brightest", brightness: 140);

            Assert.AreEqual(0, GenerativeMetrics.ResNet18FrechetDistance(Ml, original, original), 1e-6);
            var features = ResNet18Features.Extract(Ml, original);
            Assert.HasCount(8, features);
            Assert.IsTrue(features.All(f => f.Length == ResNet18Features.FeatureCount && f.All(float.IsFinite) && f.Any(v => v != 0)));
            var near = GenerativeMetrics.FrechetDistance(features, ResNet18Features.Extract(Ml, brighter));
            var far = GenerativeMetrics.FrechetDistance(features, ResNet18Features.Extract(Ml, brightest));
            Assert.IsGreaterThan(1e-3, near);
            Assert.IsGreaterThan(near, far);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void ResNet18FeaturesNeedAnImageColumn()
    {
        var data = Ml.Data.LoadFromEnumerable([new ProbabilityRow { Score = [1f, 0f] }]);
        Assert.AreEqual("imageColumnName", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ResNet18Features.Extract(Ml, data, "Score")).ParamName);
        Assert.AreEqual("imageColumnName", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ResNet18Features.Extract(Ml, data, "Picture")).ParamName);
    }

    /// <summary>Eight 48 × 48 colour images of seeded stripes and blobs, lightened by <paramref name="brightness"/>, loaded with ML.NET's LoadImages.</summary>
    private static IDataView ImageSet(string folder, string name, int brightness)
    {
        var paths = new List<ImagePath>();
        for (var i = 0; i < 8; i++)
        {
            var random = new Random(100 + i);
            const int size = 48;
            var pixels = new byte[size * size * 4];
            double fx = random.NextDouble() * 0.5, fy = random.NextDouble() * 0.5, phase = random.NextDouble() * 6;
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    var wave = 0.5 + 0.5 * Math.Sin(fx * x + fy * y + phase);
                    var offset = (y * size + x) * 4;
                    for (var channel = 0; channel < 3; channel++)
                        pixels[offset + channel] = (byte)Math.Clamp(wave * (80 + 50 * channel) + random.Next(40) + brightness, 0, 255);
                    pixels[offset + 3] = 255;
                }
            }
            var path = Path.Combine(folder, $"{name}-{i}.png");
            using (var image = MLImage.CreateFromPixels(size, size, MLPixelFormat.Bgra32, pixels))
                image.Save(path);
            paths.Add(new ImagePath { Path = path });
        }
        var data = Ml.Data.LoadFromEnumerable(paths);
        return Ml.Transforms.LoadImages("Image", folder, "Path").Fit(data).Transform(data);
    }

    internal sealed class ImagePath
    {
        public string Path { get; set; } = "";
    }

    internal sealed class ProbabilityRow
    {
        [VectorType]
        public float[] Score { get; set; } = [];
    }
}
