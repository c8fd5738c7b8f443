using Microsoft.ML;
using MlNetDeep.Tasks;
using static TorchSharp.torch;

namespace MlNetDeep.Data;

/// <summary>Training and validation batches with what was learnt from reading the data: class count, class values, feature statistics.</summary>
internal sealed class TrainingData : IDisposable
{
    private TrainingData(IBatchSource train, IBatchSource? validation, int classCount, FeatureStatistics? statistics, float[] trainTargets, float[]? trainWeights)
    {
        Train = train;
        Validation = validation;
        ClassCount = classCount;
        FeatureStatistics = statistics;
        TrainTargets = trainTargets;
        TrainWeights = trainWeights;
    }

    public IBatchSource Train { get; }

    public IBatchSource? Validation { get; }

    public int ClassCount { get; }

    /// <summary>Per-feature mean and standard deviation of the training rows (not the validation rows), when asked for.</summary>
    public FeatureStatistics? FeatureStatistics { get; }

    /// <summary>Task-encoded targets of the training rows, row-major (for class weighting and regression target scaling).</summary>
    public float[] TrainTargets { get; }

    public float[]? TrainWeights { get; }

    public static TrainingData Prepare(IDataView trainData, IDataView? validationData, DataColumns columns, PredictionTask task,
        DataSettings settings, Device device, CancellationToken cancellation)
    {
        var cache = settings.Mode == DataLoadingMode.CacheAsTensors;
        if (columns.Features.IsTokenSequence && !cache)
            throw new ArgumentException(
                $"Feature column '{columns.Features.Name}' holds token sequences, which train with DataLoading = CacheAsTensors only (the tokens of every row are kept in memory, padded per batch).");
        var table = ExampleTable.Read(trainData, columns, cache, "training data", cancellation);
        var classCount = task.PrepareTargets(columns.Label, table.Targets, "training data", 0);

        long[] trainRows, validationRows = [];
        if (validationData is null && settings.ValidationFraction > 0)
            (trainRows, validationRows) = ValidationSplit.Split(table.Count, task.IsClassification ? table.Targets : null, settings.ValidationFraction, settings.Seed);
        else
            trainRows = Enumerable.Range(0, table.Count).Select(i => (long)i).ToArray();

        var statistics = settings.NeedsFeatureStatistics ? FeatureStatistics.Compute(trainData, columns.Features, table, trainRows) : null;

        IBatchSource train, validation;
        if (cache)
        {
            train = Cached(table, trainRows, task, settings, device);
            validation = validationRows.Length > 0 ? Cached(table, validationRows, task, settings, device) : null!;
        }
        else
        {
            train = new StreamingBatchSource(trainData, columns.Features, trainRows, table, task.TargetType, settings.BatchSize, settings.ShuffleBufferSize, settings.Seed, device);
            validation = validationRows.Length > 0
                ? new StreamingBatchSource(trainData, columns.Features, validationRows, table, task.TargetType, settings.BatchSize, 1, settings.Seed, device)
                : null!;
        }

        if (validationData is not null)
        {
            var validationColumns = columns with { Label = LabelColumn.Bind(validationData.Schema, columns.Label.Name) };
            if (validationColumns.Label.Column.Type != columns.Label.Column.Type)
                throw new ArgumentException(
                    $"Label column '{columns.Label.Name}' has type {validationColumns.Label.Column.Type} in the validation data but {columns.Label.Column.Type} in the training data.");
            var validationFeatures = FeatureColumn.Bind(validationData.Schema, columns.Features.Name, columns.Features.IsTokenSequence);
            if (validationFeatures.KeyCount != columns.Features.KeyCount)
                throw new ArgumentException(
                    $"Feature column '{columns.Features.Name}' has {validationFeatures.KeyCount} token keys in the validation data but {columns.Features.KeyCount} in the training data; map both with the same MapValueToKey.");
            if (!columns.Features.IsTokenSequence && validationFeatures.Size != columns.Features.Size)
                throw new ArgumentException(
                    $"Feature column '{columns.Features.Name}' has {validationFeatures.Size} values in the validation data but {columns.Features.Size} in the training data.");
            var validationTable = ExampleTable.Read(validationData, validationColumns, cache, "validation data", cancellation);
            task.PrepareTargets(validationColumns.Label, validationTable.Targets, "validation data", classCount);
            var all = Enumerable.Range(0, validationTable.Count).Select(i => (long)i).ToArray();
            validation = cache
                ? Cached(validationTable, all, task, settings, device)
                : new StreamingBatchSource(validationData, columns.Features, all, validationTable, task.TargetType, settings.BatchSize, 1, settings.Seed, device);
        }

        var trainTargets = trainRows.SelectMany(r => table.Targets.AsSpan((int)r * table.TargetSize, table.TargetSize).ToArray()).ToArray();
        return new TrainingData(train, validation, classCount, statistics, trainTargets, table.Weights is null ? null : trainRows.Select(r => table.Weights[r]).ToArray());
    }

    private static IBatchSource Cached(ExampleTable table, long[] rows, PredictionTask task, DataSettings settings, Device device)
    {
        if (table.TokenSequences is { } sequences)
        {
            var weightValues = table.Weights is null ? null : tensor(rows.Select(r => table.Weights[r]).ToArray(), device: device);
            return new TokenSequenceBatchSource(rows.Select(r => sequences[r]).ToArray(), table.TargetTensor(rows, task.TargetType, device), weightValues, rows, settings.BatchSize, settings.Seed);
        }
        var size = table.FeatureSize;
        var features = table.Features!;
        if (rows.LongLength != table.Count)
        {
            features = new float[rows.LongLength * size];
            for (long i = 0; i < rows.LongLength; i++)
                table.Features.AsSpan((int)(rows[i] * size), size).CopyTo(features.AsSpan((int)(i * size), size));
        }
        var x = tensor(features, [rows.LongLength, size], device: device);
        var y = table.TargetTensor(rows, task.TargetType, device);
        var w = table.Weights is null ? null : tensor(rows.Select(r => table.Weights[r]).ToArray(), device: device);
        return new CachedBatchSource(x, y, w, rows, settings.BatchSize, settings.Seed);
    }

    public void Dispose()
    {
        Train.Dispose();
        Validation?.Dispose();
    }
}

/// <summary>The data-related settings of one Fit.</summary>
internal sealed record DataSettings(int BatchSize, double ValidationFraction, DataLoadingMode Mode, int ShuffleBufferSize, int Seed, bool NeedsFeatureStatistics);

/// <summary>Splits row indices into training and validation sets, stratified by class for classification.</summary>
internal static class ValidationSplit
{
    /// <summary>Splits rows 0…<paramref name="rowCount"/>−1, stratified by <paramref name="classOfRow"/> when given.</summary>
    public static (long[] Train, long[] Validation) Split(int rowCount, float[]? classOfRow, double fraction, int seed)
    {
        var random = new Random(unchecked(seed * 31 + 7));
        var groups = classOfRow is not null
            ? Enumerable.Range(0, rowCount).GroupBy(i => classOfRow[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToList()
            : [Enumerable.Range(0, rowCount).ToArray()];
        var validation = new List<long>();
        foreach (var group in groups)
        {
            random.Shuffle(group);
            // Keep at least one training example of every class.
            var take = Math.Min((int)Math.Round(group.Length * fraction), group.Length - 1);
            validation.AddRange(group.Take(take).Select(i => (long)i));
        }
        if (validation.Count == 0)
            throw new InvalidDataException(
                $"ValidationFraction {fraction} of {rowCount} training rows leaves no validation rows; use more data, a larger fraction, or pass validation data.");
        var isValidation = new bool[rowCount];
        foreach (var row in validation)
            isValidation[row] = true;
        var train = Enumerable.Range(0, rowCount).Where(i => !isValidation[i]).Select(i => (long)i).ToArray();
        var validationRows = validation.Order().ToArray();
        return (train, validationRows);
    }
}

/// <summary>Per-feature mean and (population) standard deviation.</summary>
internal sealed record FeatureStatistics(double[] Mean, double[] Std)
{
    /// <summary>Statistics of the given rows, from the cached features or, when streaming, one more pass over the data.</summary>
    public static FeatureStatistics Compute(IDataView data, FeatureColumn features, ExampleTable table, long[] rows)
    {
        var size = features.Size;
        var sum = new double[size];
        var sumOfSquares = new double[size];
        if (table.Features is { } cached)
        {
            foreach (var row in rows)
                Accumulate(cached.AsSpan((int)(row * size), size));
        }
        else
        {
            var values = new float[size];
            var next = 0;
            using var cursor = data.GetRowCursor([data.Schema[features.Name]]);
            var read = features.MakeReader(cursor);
            while (next < rows.Length && cursor.MoveNext())
            {
                if (cursor.Position != rows[next])
                    continue;
                next++;
                read(values);
                Accumulate(values);
            }
        }
        var mean = new double[size];
        var std = new double[size];
        for (var i = 0; i < size; i++)
        {
            mean[i] = sum[i] / rows.Length;
            std[i] = Math.Sqrt(Math.Max(sumOfSquares[i] / rows.Length - mean[i] * mean[i], 0));
        }
        return new FeatureStatistics(mean, std);

        void Accumulate(ReadOnlySpan<float> values)
        {
            for (var i = 0; i < size; i++)
            {
                sum[i] += values[i];
                sumOfSquares[i] += (double)values[i] * values[i];
            }
        }
    }
}
