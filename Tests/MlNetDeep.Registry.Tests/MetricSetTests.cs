using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Registry.Tests;

[TestClass]
public sealed class MetricSetTests
{
    private sealed class Point
    {
        public bool Label { get; set; }

        public float Target { get; set; }

        [VectorType(2)]
        public float[] Features { get; set; } = [];
    }

    private static IDataView Points(MLContext ml)
    {
        var random = new Random(4);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, 80).Select(_ =>
        {
            var x = (float)random.NextDouble();
            var y = (float)random.NextDouble();
            return new Point { Label = x + y > 1 + (random.NextDouble() - 0.5) * 0.2, Target = 3 * x - y, Features = [x, y] };
        }).ToArray());
    }

    [TestMethod]
    public void CalibratedBinaryMetricsGiveAccuracyAucAndLogLoss()
    {
        var ml = new MLContext(seed: 1);
        var data = Points(ml);
        var metrics = ml.BinaryClassification.Evaluate(ml.BinaryClassification.Trainers.SdcaLogisticRegression().Fit(data).Transform(data));

        var set = new MetricSet().Add(metrics, "test");

        Assert.AreEqual(metrics.Accuracy, set["test.accuracy"]);
        Assert.AreEqual(metrics.AreaUnderRocCurve, set["test.area_under_roc_curve"]);
        Assert.AreEqual(metrics.LogLoss, set["test.log_loss"]);
    }

    [TestMethod]
    public void RegressionMetricsGiveErrorsAndRSquared()
    {
        var ml = new MLContext(seed: 1);
        var data = Points(ml);
        var metrics = ml.Regression.Evaluate(ml.Regression.Trainers.Sdca(labelColumnName: "Target").Fit(data).Transform(data), labelColumnName: "Target");

        var set = new MetricSet().Add(metrics);

        CollectionAssert.AreEquivalent(new[] { "mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "loss_function", "r_squared" }, set.Keys.ToArray());
        Assert.AreEqual(metrics.RSquared, set["r_squared"]);
    }

    [TestMethod]
    public void MulticlassMetricsAreNamedPerClass()
    {
        var (model, train, metrics) = TestModels.Fit();

        var set = new MetricSet().Add(metrics, classNames: MetricSet.ClassNamesOf(model.GetOutputSchema(train.Schema)));

        Assert.AreEqual(metrics.MacroAccuracy, set["macro_accuracy"]);
        Assert.AreEqual(metrics.ConfusionMatrix.PerClassRecall[1], set["per_class_recall[versicolor]"]);
    }

    [TestMethod]
    public void ClassNamesComeInKeyOrderWhichIsTheOrderOfFirstOccurrence()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { "virginica", "setosa", "virginica", "versicolor" }.Select(l => new Flower { Label = l, Features = [0, 0, 0, 0] }));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

        CollectionAssert.AreEqual(new[] { "virginica", "setosa", "versicolor" }, MetricSet.ClassNamesOf(keyed.Schema).ToArray());
    }

    [TestMethod]
    public void AReportsNumbersAreFlattenedWithItemsNamedByTheirLabel()
    {
        var report = new { MacroF1 = 0.9, PerClass = new[] { new { Label = "cat", F1 = 0.8 }, new { Label = "dog", F1 = 1.0 } }, Title = "eval" };

        var set = new MetricSet().AddFrom(report, "test");

        CollectionAssert.AreEquivalent(new[] { "test.MacroF1", "test.PerClass[cat].F1", "test.PerClass[dog].F1" }, set.Keys.ToArray());
        Assert.AreEqual(0.8, set["test.PerClass[cat].F1"]);
    }

    [TestMethod]
    public void AValueThatIsNotFiniteIsRefusedWithTheMetricsName()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => new MetricSet().Add("auc", double.NaN));

        StringAssert.Contains(error.Message, "Metric 'auc' is NaN");
    }
}
