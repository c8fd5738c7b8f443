using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace MlNetDeep.Serving;

/// <summary>
/// The pool's instruments (System.Diagnostics.Metrics), exported by OpenTelemetry with
/// <c>.WithMetrics(m =&gt; m.AddMeter(ServingMetrics.MeterName))</c> or read with <c>dotnet-counters</c>. Every instrument has
/// a <c>model</c> tag (the model's name, <c>default</c> for the unnamed model).
/// </summary>
public sealed class ServingMetrics
{
    /// <summary>The meter's name: <c>MlNetDeep.Serving</c>.</summary>
    public const string MeterName = "MlNetDeep.Serving";

    /// <summary>Counter of predictions, tagged <c>outcome</c> = <c>success</c> or <c>failure</c>.</summary>
    public const string Predictions = "mlnetdeep.serving.predictions";

    /// <summary>Histogram of seconds from a prediction request to its result (queueing in a batch included).</summary>
    public const string PredictionDuration = "mlnetdeep.serving.prediction.duration";

    /// <summary>Histogram of the number of requests per dynamic batch.</summary>
    public const string BatchSize = "mlnetdeep.serving.batch.size";

    /// <summary>Counter of reloads, tagged <c>outcome</c> = <c>success</c> or <c>failure</c>.</summary>
    public const string Reloads = "mlnetdeep.serving.reloads";

    private static readonly KeyValuePair<string, object?> Success = new("outcome", "success");
    private static readonly KeyValuePair<string, object?> Failure = new("outcome", "failure");

    private static readonly ServingMetrics Unfactored = new(new Meter(MeterName));
    private static readonly ConditionalWeakTable<Meter, ServingMetrics> ByMeter = [];

    private readonly Counter<long> predictions;
    private readonly Histogram<double> duration;
    private readonly Histogram<int> batchSize;
    private readonly Counter<long> reloads;

    private ServingMetrics(Meter meter)
    {
        predictions = meter.CreateCounter<long>(Predictions, "{prediction}", "Predictions made.");
        duration = meter.CreateHistogram<double>(PredictionDuration, "s", "Time from a prediction request to its result.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
        batchSize = meter.CreateHistogram<int>(BatchSize, "{prediction}", "Requests scored together in one dynamic batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] });
        reloads = meter.CreateCounter<long>(Reloads, "{reload}", "Model reloads.");
    }

    internal static KeyValuePair<string, object?> ModelTag(string modelName) => new("model", modelName.Length == 0 ? "default" : modelName);

    /// <summary>A start time when durations are being listened to, else 0 (no clock read).</summary>
    internal long Start() => duration.Enabled ? Stopwatch.GetTimestamp() : 0;

    internal void Predicted(in KeyValuePair<string, object?> model, long start, int count = 1)
    {
        predictions.Add(count, model, Success);
        if (start != 0)
            duration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, model);
    }

    internal void Failed(in KeyValuePair<string, object?> model, int count = 1) => predictions.Add(count, model, Failure);

    internal void Batched(in KeyValuePair<string, object?> model, int size) => batchSize.Record(size, model);

    internal void Reloaded(in KeyValuePair<string, object?> model, bool succeeded) => reloads.Add(1, model, succeeded ? Success : Failure);

    /// <summary>
    /// The instruments on the application's meter (ASP.NET Core registers an <see cref="IMeterFactory"/>), or on a process-wide
    /// meter without one. A factory hands out one meter per name, so pools share its instruments rather than duplicate them.
    /// </summary>
    internal static ServingMetrics For(IMeterFactory? meterFactory) =>
        meterFactory is null ? Unfactored : ByMeter.GetValue(meterFactory.Create(MeterName), m => new ServingMetrics(m));
}
