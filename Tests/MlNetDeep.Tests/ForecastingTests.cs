using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Tests;

[TestClass]
public sealed class ForecastingTests
{
    /// <summary>Monthly means of the weekly Mauna Loa CO2 series shipped in Samples/Data (1958-03 to 2001-12); months without data interpolated linearly.</summary>
    internal static float[] MonthlyCo2()
    {
        var weeks = File.ReadLines(Path.Combine("Data", "mauna-loa-co2", "co2.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Where(fields => fields[1].Length > 0)
            .Select(fields => (Month: fields[0][..6], Value: double.Parse(fields[1], CultureInfo.InvariantCulture)));
        var months = weeks.GroupBy(w => w.Month).ToDictionary(g => g.Key, g => g.Average(w => w.Value));
        var first = DateTime.ParseExact(months.Keys.Min()!, "yyyyMM", CultureInfo.InvariantCulture);
        var last = DateTime.ParseExact(months.Keys.Max()!, "yyyyMM", CultureInfo.InvariantCulture);
        var series = new List<double?>();
        for (var month = first; month <= last; month = month.AddMonths(1))
            series.Add(months.TryGetValue(month.ToString("yyyyMM", CultureInfo.InvariantCulture), out var value) ? value : null);
        var known = series.Select((value, i) => (value, i)).Where(p => p.value is not null).Select(p => p.i).ToArray();
        return series.Select((value, i) =>
        {
            if (value is { } observed)
                return (float)observed;
            var before = known.Last(k => k < i);
            var after = known.First(k => k > i);
            return (float)(series[before]!.Value + (series[after]!.Value - series[before]!.Value) * (i - before) / (after - before));
        }).ToArray();
    }

    [TestMethod]
    public void WindowsHoldTheLookbackAndWhatFollows()
    {
        var ml = new MLContext(seed: 1);
        var windows = ml.Data.CreateForecastingWindows(Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), lookback: 3, horizon: 2);

        var rows = ml.Data.CreateEnumerable<ForecastingWindow>(windows, reuseRowObject: false).ToArray();

        Assert.HasCount(6, rows);
        CollectionAssert.AreEqual(new float[] { 0, 1, 2 }, rows[0].Features);
        CollectionAssert.AreEqual(new float[] { 3, 4 }, rows[0].Next);
        Assert.AreEqual(4f, rows[0].Label);
        Assert.AreEqual(2f, rows[0].LastValue);
        Assert.AreEqual(5, rows[^1].Start);
        CollectionAssert.AreEqual(new[] { 3, 1 }, ((VectorDataViewType)windows.Schema["Features"].Type).Dimensions.ToArray());
    }

    [TestMethod]
    public void MultivariateWindowsKeepEveryFeatureOfEachStep()
    {
        var ml = new MLContext(seed: 1);
        var series = Enumerable.Range(0, 5).Select(i => (IReadOnlyList<float>)[i, 10 * i]).ToArray();

        var windows = ml.Data.CreateForecastingWindows(series, lookback: 2, horizon: 1, targetFeature: 1);

        var first = ml.Data.CreateEnumerable<ForecastingWindow>(windows, reuseRowObject: false).First();
        CollectionAssert.AreEqual(new float[] { 0, 0, 1, 10 }, first.Features);
        Assert.AreEqual(20f, first.Label);
        Assert.AreEqual(10f, first.LastValue);
        CollectionAssert.AreEqual(new[] { 2, 2 }, ((VectorDataViewType)windows.Schema["Features"].Type).Dimensions.ToArray());
    }

    [TestMethod]
    public void RelativeWindowsHoldChangesFromTheLastValue()
    {
        var ml = new MLContext(seed: 1);
        var windows = ml.Data.CreateForecastingWindows([5f, 7f, 6f, 9f], lookback: 2, relativeToLastValue: true);

        var first = ml.Data.CreateEnumerable<ForecastingWindow>(windows, reuseRowObject: false).First();

        CollectionAssert.AreEqual(new float[] { -2, 0 }, first.Features);
        Assert.AreEqual(-1f, first.Label);
        Assert.AreEqual(7f, first.LastValue);
    }

    [TestMethod]
    public void BadSeriesAreRejectedNamingTheStep()
    {
        var ml = new MLContext(seed: 1);

        var missing = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.CreateForecastingWindows([1f, 2f, float.NaN, 4f], lookback: 2));
        var ragged = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.CreateForecastingWindows([[1f, 2f], [3f], [4f, 5f]], lookback: 1));
        var tooShort = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.CreateForecastingWindows([1f, 2f, 3f], lookback: 3));

        StringAssert.Contains(missing.Message, "Step 2");
        StringAssert.Contains(ragged.Message, "Step 1");
        StringAssert.Contains(tooShort.Message, "3 steps");
    }

    [TestMethod]
    public void AnLstmForecastsMonthlyCo2BetterThanTheLastValueAndTheSeasonalNaiveForecast()
    {
        var ml = new MLContext(seed: 1);
        const int lookback = 24;
        var windows = ml.Data.CreateForecastingWindows(MonthlyCo2(), lookback, relativeToLastValue: true);
        var count = (int)windows.GetRowCount()!.Value;
        var train = ml.Data.TakeRows(windows, count * 4 / 5);
        var test = ml.Data.SkipRows(windows, count * 4 / 5);
        var options = new RecurrentNetworkOptions { HiddenSize = 24, NumberOfEpochs = 20, Seed = 3, BatchSize = 32, LearningRate = 3e-3, DropoutRate = 0, EarlyStopping = null };

        var model = ml.Regression.Trainers.RecurrentNetwork(options).Fit(train);

        var predicted = model.Transform(test).GetColumn<float>("Score").ToArray();
        // Relative windows: Label, Features and Score are changes from the last value, so the errors are the same as on the levels.
        var rows = ml.Data.CreateEnumerable<ForecastingWindow>(test, reuseRowObject: false).ToArray();
        var modelError = rows.Select((r, i) => Math.Abs(r.Label - predicted[i])).Average();
        var lastValueError = rows.Average(r => Math.Abs(r.Label));
        var seasonalError = rows.Average(r => Math.Abs(r.Label - r.Features[lookback - 12]));
        Console.WriteLine($"MAE: LSTM {modelError:F3}, last value {lastValueError:F3}, seasonal naive {seasonalError:F3}");
        Assert.IsLessThan(lastValueError, modelError, $"LSTM MAE {modelError:F3} vs last value {lastValueError:F3}");
        Assert.IsLessThan(0.7 * seasonalError, modelError, $"LSTM MAE {modelError:F3} vs seasonal naive {seasonalError:F3}");
    }
    [TestMethod]
    public void OneModelForecastsSeveralMonthsAheadFromTheNextColumn()
    {
        var ml = new MLContext(seed: 1);
        const int lookback = 24, horizon = 6;
        var windows = ml.Data.CreateForecastingWindows(MonthlyCo2(), lookback, horizon, relativeToLastValue: true);
        var count = (int)windows.GetRowCount()!.Value;
        var train = ml.Data.TakeRows(windows, count * 4 / 5);
        var test = ml.Data.SkipRows(windows, count * 4 / 5);
        var options = new RecurrentNetworkOptions
            { LabelColumnName = "Next", HiddenSize = 24, NumberOfEpochs = 20, Seed = 3, BatchSize = 32, LearningRate = 3e-3, DropoutRate = 0, EarlyStopping = null };

        var model = ml.Regression.Trainers.RecurrentNetwork(options).Fit(train);

        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, horizon), model.GetOutputSchema(test.Schema)["Score"].Type);
        var scored = model.Transform(test);
        var predicted = scored.GetColumn<float[]>("Score").ToArray();
        var metrics = ml.Regression.EvaluateMultiOutput(scored, labelColumnName: "Next");
        var rows = ml.Data.CreateEnumerable<ForecastingWindow>(test, reuseRowObject: false).ToArray();
        for (var step = 0; step < horizon; step++)
        {
            var modelError = metrics.PerOutput[step].MeanAbsoluteError;
            // Seasonal naive: the value twelve months before the forecast month.
            var seasonalError = rows.Average(r => Math.Abs(r.Next[step] - r.Features[lookback - 12 + step]));
            Console.WriteLine($"{step + 1} month(s) ahead: MAE {modelError:F3}, seasonal naive {seasonalError:F3}");
            Assert.IsLessThan(0.7 * seasonalError, modelError, $"{step + 1} month(s) ahead: MAE {modelError:F3} vs seasonal naive {seasonalError:F3}");
        }

        using var folder = new TemporaryFolder();
        ml.Model.Save(model, test.Schema, folder.File("model.zip"));
        var loaded = new MLContext().Model.Load(folder.File("model.zip"), out _);
        using var engine = ml.Model.CreatePredictionEngine<ForecastingWindow, Forecast>(loaded, inputSchemaDefinition: ForecastingWindowSchema(lookback, horizon));
        var forecast = engine.Predict(rows[0]).Score;
        CollectionAssert.AreEqual(predicted[0], forecast, Comparer<float>.Create((a, b) => Math.Abs(a - b) < 1e-5f ? 0 : a.CompareTo(b)));
    }

    [TestMethod]
    public void AVectorLabelWithNaNIsAnErrorNamingTheRowAndSlot()
    {
        var ml = new MLContext(seed: 1);
        var series = MonthlyCo2()[..60];
        var rows = ml.Data.CreateEnumerable<ForecastingWindow>(ml.Data.CreateForecastingWindows(series, 12, 3), reuseRowObject: false).ToArray();
        rows[5].Next[2] = float.NaN;
        var data = ml.Data.LoadFromEnumerable(rows, ForecastingWindowSchema(12, 3));

        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            ml.Regression.Trainers.RecurrentNetwork(new RecurrentNetworkOptions { LabelColumnName = "Next", NumberOfEpochs = 1 }).Fit(data));

        StringAssert.Contains(error.Message, "'Next'");
        StringAssert.Contains(error.Message, "row 5, slot 2");
    }

    [TestMethod]
    public void ClassifiersRejectAVectorLabel()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.CreateForecastingWindows(MonthlyCo2()[..60], 12, 3);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.RecurrentNetwork(new RecurrentNetworkOptions { LabelColumnName = "Next", NumberOfEpochs = 1 }).Fit(data));

        StringAssert.Contains(error.Message, "'Next'");
    }

    private static SchemaDefinition ForecastingWindowSchema(int lookback, int horizon)
    {
        var schema = SchemaDefinition.Create(typeof(ForecastingWindow));
        schema[nameof(ForecastingWindow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, lookback, 1);
        schema[nameof(ForecastingWindow.Next)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, horizon);
        return schema;
    }

    private sealed class Forecast
    {
        public float[] Score { get; set; } = [];
    }
}
