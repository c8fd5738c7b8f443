using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep;

namespace FashionMnistGeneration;

/// <summary>The steps of the sample, in the shape of ML.NET Model Builder's generated code: a judge, baselines, the generator, scores.</summary>
public static class ModelBuilder
{
    /// <summary>
    /// The judge: a convolutional classifier trained on the real training images. Its last hidden layer (128 values) is
    /// the feature space of the Fréchet distance, its class probabilities feed the Inception Score — the domain
    /// classifier in place of ImageNet's Inception v3, as is usual for small grayscale images.
    /// </summary>
    public static (DeepPredictionTransformer Classifier, EmbeddingTransformer Features) TrainJudge(MLContext ml, IDataView train, int epochs)
    {
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train);
        var classifier = ml.MulticlassClassification.Trainers.ConvolutionalNetwork(new ConvolutionalNetworkOptions
        {
            BatchSize = 128, NumberOfEpochs = epochs, ValidationFraction = 0, EarlyStopping = null, Seed = 1,
        }).Fit(keyed);
        var features = EmbeddingTransformer.FromNetwork(ml, classifier.Network, classifier.Network.Spec.Layers.Count - 1, train, embeddingColumnName: "JudgeFeatures");
        return (classifier, features);
    }

    /// <summary>The variational autoencoder on the training images (labels unused).</summary>
    public static VariationalAutoencoder BuildGenerator(int epochs) => new(new VariationalAutoencoderOptions
    {
        HiddenLayerSizes = [512, 256], LatentSize = 16, BatchSize = 128, NumberOfEpochs = epochs, Seed = 1,
    });

    /// <summary>The baseline without structure: every pixel drawn from a Gaussian with that pixel's training mean and variance.</summary>
    public static float[][] PixelGaussianSamples(IReadOnlyList<float[]> trainImages, int count, int seed)
    {
        var size = trainImages[0].Length;
        var mean = new double[size];
        var square = new double[size];
        foreach (var image in trainImages)
        {
            for (var p = 0; p < size; p++)
            {
                mean[p] += image[p];
                square[p] += image[p] * image[p];
            }
        }
        var std = new double[size];
        for (var p = 0; p < size; p++)
        {
            mean[p] /= trainImages.Count;
            std[p] = Math.Sqrt(Math.Max(square[p] / trainImages.Count - mean[p] * mean[p], 0));
        }
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, size).Select(p =>
        {
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            return (float)Math.Clamp(mean[p] + std[p] * gaussian, 0, 1);
        }).ToArray()).ToArray();
    }

    /// <summary>FID (on the judge's features) of <paramref name="images"/> against <paramref name="referenceFeatures"/>, and the Inception Score (judge's probabilities, 10 splits).</summary>
    public static (double Fid, InceptionScoreResult InceptionScore) Score(MLContext ml, (DeepPredictionTransformer Classifier, EmbeddingTransformer Features) judge,
        IReadOnlyList<float[]> referenceFeatures, IDataView images)
    {
        var features = Features(judge.Features, images);
        var inception = GenerativeMetrics.InceptionScore(judge.Classifier.Transform(images));
        try
        {
            return (GenerativeMetrics.FrechetDistance(features, referenceFeatures), inception);
        }
        catch (ArithmeticException e)
        {
            // Seen on this machine: the evaluators' eigen-decomposition can fail to converge; report it rather than stop.
            var nonFinite = features.Sum(f => f.Count(v => !float.IsFinite(v)));
            Console.WriteLine($"  FID not computed: {e.Message} ({nonFinite} non-finite feature values)");
            return (double.NaN, inception);
        }
    }

    /// <summary>The judge's feature vector of every image.</summary>
    public static float[][] Features(EmbeddingTransformer judgeFeatures, IDataView images) =>
        judgeFeatures.Transform(images).GetColumn<float[]>(judgeFeatures.EmbeddingColumnName).ToArray();
}
