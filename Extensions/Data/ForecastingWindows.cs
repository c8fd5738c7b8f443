using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep;

/// <summary>One lookback window of a series and what follows it (a row of <see cref="ForecastingWindows.CreateForecastingWindows(DataOperationsCatalog, IReadOnlyList{float}, int, int, bool)"/>).</summary>
public sealed class ForecastingWindow
{
    /// <summary>
    /// The window: lookback steps × series features, step-major (declared dimensions (lookback, features), which the
    /// sequence trainers read as the sequence shape); relative windows hold each value minus its feature's value at the last step.
    /// </summary>
    public float[] Features { get; set; } = [];

    /// <summary>The target series' value <c>horizon</c> steps after the window's last step (relative windows: minus <see cref="LastValue"/>): the regression label.</summary>
    public float Label { get; set; }

    /// <summary>The target series' next <c>horizon</c> values (relative windows: minus <see cref="LastValue"/>); the label is the last of them.</summary>
    public float[] Next { get; set; } = [];

    /// <summary>The target series' value at the window's last step (always absolute): the naive last-value forecast, and what a relative forecast adds to.</summary>
    public float LastValue { get; set; }

    /// <summary>The position in the series of the window's first step (windows come in series order, so TakeRows/SkipRows split by time).</summary>
    public int Start { get; set; }
}

/// <summary>Turns a univariate or multivariate series into lookback windows with the values that follow them, for forecasting as regression.</summary>
public static class ForecastingWindows
{
    /// <summary>Every window of <paramref name="lookback"/> consecutive values of a univariate series, labelled with the value <paramref name="horizon"/> steps later.</summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="series">The values, oldest first; all finite.</param>
    /// <param name="lookback">Steps per window.</param>
    /// <param name="horizon">How many steps after the window the label lies (1: the next value).</param>
    /// <param name="relativeToLastValue">
    /// Express the window and the label as differences from the window's last value, so a network forecasts the change
    /// (forecast = <see cref="ForecastingWindow.LastValue"/> + Score). Networks with bounded activations cannot output
    /// levels beyond those seen in training, so a trending series (CO2) needs this.
    /// </param>
    public static IDataView CreateForecastingWindows(this DataOperationsCatalog catalog, IReadOnlyList<float> series, int lookback, int horizon = 1, bool relativeToLastValue = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        return catalog.CreateForecastingWindows(series.Select(v => (IReadOnlyList<float>)[v]).ToArray(), lookback, horizon, 0, relativeToLastValue);
    }

    /// <summary>
    /// Every window of <paramref name="lookback"/> consecutive steps of a multivariate series (each step holds the same
    /// number of features), labelled with feature <paramref name="targetFeature"/>'s value <paramref name="horizon"/> steps later.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="series">The steps, oldest first; each a list of finite feature values.</param>
    /// <param name="lookback">Steps per window.</param>
    /// <param name="horizon">How many steps after the window the label lies (1: the next value).</param>
    /// <param name="targetFeature">The feature to forecast.</param>
    /// <param name="relativeToLastValue">Express every feature of the window as a difference from its value at the last step, and the label from the target's.</param>
    public static IDataView CreateForecastingWindows(this DataOperationsCatalog catalog, IReadOnlyList<IReadOnlyList<float>> series, int lookback, int horizon = 1,
        int targetFeature = 0, bool relativeToLastValue = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (lookback < 1)
            throw new ArgumentOutOfRangeException(nameof(lookback), lookback, "The lookback must be at least 1 step.");
        if (horizon < 1)
            throw new ArgumentOutOfRangeException(nameof(horizon), horizon, "The horizon must be at least 1 step.");
        if (series.Count < lookback + horizon)
            throw new ArgumentException($"A series of {series.Count} steps has no window of {lookback} steps followed by {horizon} more.", nameof(series));
        var features = series[0].Count;
        if (targetFeature < 0 || targetFeature >= features)
            throw new ArgumentOutOfRangeException(nameof(targetFeature), targetFeature, $"The series has {features} feature(s) per step.");
        for (var step = 0; step < series.Count; step++)
        {
            if (series[step].Count != features)
                throw new ArgumentException($"Step {step} of the series has {series[step].Count} values but step 0 has {features}; every step needs the same features.", nameof(series));
            for (var feature = 0; feature < features; feature++)
            {
                if (!float.IsFinite(series[step][feature]))
                    throw new ArgumentException($"Step {step} of the series has {series[step][feature]} in feature {feature}; fill gaps first (e.g. interpolate).", nameof(series));
            }
        }

        var windows = new ForecastingWindow[series.Count - lookback - horizon + 1];
        for (var start = 0; start < windows.Length; start++)
        {
            var last = start + lookback - 1;
            var lastValue = series[last][targetFeature];
            var next = Enumerable.Range(last + 1, horizon).Select(step => series[step][targetFeature] - (relativeToLastValue ? lastValue : 0)).ToArray();
            windows[start] = new ForecastingWindow
            {
                Features = Enumerable.Range(start, lookback)
                    .SelectMany(step => series[step].Select((value, feature) => value - (relativeToLastValue ? series[last][feature] : 0))).ToArray(),
                Label = next[^1],
                Next = next,
                LastValue = lastValue,
                Start = start,
            };
        }
        var schema = SchemaDefinition.Create(typeof(ForecastingWindow));
        schema[nameof(ForecastingWindow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, lookback, features);
        schema[nameof(ForecastingWindow.Next)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, horizon);
        return catalog.LoadFromEnumerable(windows, schema);
    }
}
