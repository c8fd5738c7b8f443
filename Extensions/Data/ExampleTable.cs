using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MlNetDeep.Data;

/// <summary>The columns a trainer reads.</summary>
internal sealed record DataColumns(FeatureColumn Features, LabelColumn Label, string? WeightColumn)
{
    public IEnumerable<DataViewSchema.Column> ToRead(DataViewSchema schema)
    {
        yield return schema[Features.Name];
        yield return schema[Label.Name];
        if (WeightColumn is not null)
            yield return schema[WeightColumn];
    }
}

/// <summary>
/// The result of one validating pass over an IDataView: every target (and weight) by row and — when
/// the data is cached — the features themselves. Bad values are reported with their column and row before training starts.
/// </summary>
internal sealed class ExampleTable
{
    private ExampleTable(int featureSize, int count, float[]? features, float[][]? tokenSequences, int targetSize, float[] targets, float[]? weights)
    {
        FeatureSize = featureSize;
        TargetSize = targetSize;
        TokenSequences = tokenSequences;
        Count = count;
        Features = features;
        Targets = targets;
        Weights = weights;
    }

    public int FeatureSize { get; }

    public int Count { get; }

    /// <summary>Row-major features, or null when streaming.</summary>
    public float[]? Features { get; }

    /// <summary>Each row's token keys, for a token-sequence feature column (instead of <see cref="Features"/>).</summary>
    public float[][]? TokenSequences { get; }

    /// <summary>Target values per row (<see cref="LabelColumn.Size"/>).</summary>
    public int TargetSize { get; }

    /// <summary>Row-major raw label values (see <see cref="LabelColumn.MakeReader"/>); the task rewrites them in its own encoding.</summary>
    public float[] Targets { get; }

    public float[]? Weights { get; }

    /// <summary>The targets of the given rows as a tensor: <c>[rows]</c>, or <c>[rows, TargetSize]</c> for vector labels.</summary>
    public Tensor TargetTensor(IReadOnlyList<long> rows, ScalarType type, Device device)
    {
        var values = new float[rows.Count * TargetSize];
        for (var i = 0; i < rows.Count; i++)
            Targets.AsSpan((int)rows[i] * TargetSize, TargetSize).CopyTo(values.AsSpan(i * TargetSize, TargetSize));
        using var floats = TargetSize == 1 ? tensor(values, device: device) : tensor(values, [rows.Count, TargetSize], device: device);
        return floats.to(type);
    }

    public static ExampleTable Read(IDataView data, DataColumns columns, bool keepFeatures, string dataName, CancellationToken cancellation)
    {
        var tokens = columns.Features.IsTokenSequence ? new List<float[]>() : null;
        var size = tokens is null ? columns.Features.Size : 0;
        var capacity = (int)Math.Min(data.GetRowCount() ?? 1024, int.MaxValue / Math.Max(size, 1));
        var features = keepFeatures && tokens is null ? new float[(long)Math.Max(capacity, 1) * size] : null;
        capacity = Math.Max(capacity, 1);
        var targetSize = columns.Label.Size;
        var targets = new float[(long)capacity * targetSize];
        var weights = columns.WeightColumn is null ? null : new float[capacity];
        var row = new float[size];
        var count = 0;

        try
        {
            using (var cursor = data.GetRowCursor(columns.ToRead(data.Schema)))
            {
                var readFeatures = tokens is null ? columns.Features.MakeReader(cursor) : null;
                var readTokens = tokens is null ? null : columns.Features.MakeTokenReader(cursor);
                var readLabel = columns.Label.MakeReader(cursor);
                var readWeight = columns.WeightColumn is null ? null : MakeWeightGetter(cursor, columns.WeightColumn);
                while (cursor.MoveNext())
                {
                    if ((count & 1023) == 0)
                        cancellation.ThrowIfCancellationRequested();
                    if (count == capacity)
                    {
                        capacity = checked(capacity * 2);
                        Array.Resize(ref targets, checked(capacity * targetSize));
                        if (weights is not null)
                            Array.Resize(ref weights, capacity);
                        if (features is not null)
                            Array.Resize(ref features, checked(capacity * size));
                    }
                    if (readTokens is not null)
                    {
                        var sequence = readTokens();
                        if (sequence.Length == 0)
                            throw new InvalidDataException(
                                $"Feature column '{columns.Features.Name}' has an empty token sequence in row {count} of the {dataName}; every row needs at least one token (filter empty texts out first).");
                        tokens!.Add(sequence);
                    }
                    var destination = features is null ? row.AsSpan() : features.AsSpan(count * size, size);
                    readFeatures?.Invoke(destination);
                    for (var i = 0; i < size; i++)
                    {
                        var value = destination[i];
                        if (!float.IsFinite(value))
                            throw new InvalidDataException(
                                $"Feature column '{columns.Features.Name}' has {value} in row {count}{(size > 1 ? $", slot {i}" : "")} of the {dataName}; features must be finite (replace missing values first, e.g. with ReplaceMissingValues).");
                    }
                    readLabel(targets.AsSpan(count * targetSize, targetSize));
                    if (weights is not null)
                    {
                        var weight = readWeight!();
                        if (!float.IsFinite(weight) || weight < 0)
                            throw new InvalidDataException($"Weight column '{columns.WeightColumn}' has {weight} in row {count} of the {dataName}; weights must be finite and not negative.");
                        weights[count] = weight;
                    }
                    count++;
                }
            }
        }
        catch (Exception e) when (e.InnerException is not null && e is not (InvalidDataException or OperationCanceledException))
        {
            // ML.NET wraps what an upstream transform threw (e.g. LoadImages' missing file) in a generic cursor error.
            var cause = e;
            while (cause.InnerException is not null)
                cause = cause.InnerException;
            throw new InvalidDataException($"Reading the {dataName} failed near row {count}: {cause.Message}", e);
        }

        if (count == 0)
            throw new InvalidDataException($"The {dataName} has no rows.");
        if (features is not null && features.Length != (long)count * size)
            Array.Resize(ref features, count * size);
        Array.Resize(ref targets, count * targetSize);
        if (weights is not null)
            Array.Resize(ref weights, count);
        return new ExampleTable(size, count, features, tokens?.ToArray(), targetSize, targets, weights);
    }

    private static Func<float> MakeWeightGetter(DataViewRow row, string name)
    {
        var column = row.Schema[name];
        if (column.Type == NumberDataViewType.Double)
        {
            var doubleGetter = row.GetGetter<double>(column);
            var doubleValue = 0.0;
            return () => { doubleGetter(ref doubleValue); return (float)doubleValue; };
        }
        var getter = row.GetGetter<float>(column);
        var value = 0f;
        return () => { getter(ref value); return value; };
    }

    /// <summary>Checks the example weight column's type; returns an error message or null.</summary>
    public static string? CheckWeightType(DataViewType type, string name) =>
        type == NumberDataViewType.Single || type == NumberDataViewType.Double
            ? null
            : $"Weight column '{name}' has type {type}; example weights must be a Single or Double scalar.";
}
