using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetDeep.Data;

/// <summary>
/// One mini-batch on the training device: features <c>[B, …]</c>, targets <c>[B]</c> (<c>[B, T]</c> for vector labels),
/// optional example weights <c>[B]</c>, and each example's row position in the data it was read from (Int64 <c>[B]</c>),
/// by which a callback finds what it computed for that row beforehand (e.g. a teacher's outputs).
/// </summary>
internal sealed record Batch(Tensor Features, Tensor Targets, Tensor? Weights, Tensor Rows)
{
    public long Size => Targets.shape[0];
}

/// <summary>Yields mini-batches for one epoch. Tensors are created lazily inside <c>MoveNext</c>, so the caller's dispose scope owns them.</summary>
internal interface IBatchSource : IDisposable
{
    long Count { get; }

    IEnumerable<Batch> Batches(int epoch, bool shuffle);
}

/// <summary>Deterministic per-epoch shuffling: the order of epoch <c>e</c> depends only on the seed and <c>e</c>, so a resumed run replays it.</summary>
internal static class EpochShuffle
{
    public static Random Random(int seed, int epoch) => new(unchecked(seed * 1_000_003 + epoch * 7919 + 17));

    public static long[] Permutation(long count, int seed, int epoch)
    {
        var order = new long[count];
        for (long i = 0; i < count; i++)
            order[i] = i;
        System.Random random = Random(seed, epoch);
        random.Shuffle(order);
        return order;
    }
}

/// <summary>All examples held as tensors on the training device (the default: one copy, then only index gathers per batch).</summary>
internal sealed class CachedBatchSource : IBatchSource
{
    private readonly Tensor features;
    private readonly Tensor targets;
    private readonly Tensor? weights;
    private readonly Tensor rows;
    private readonly int batchSize;
    private readonly int seed;

    /// <summary>Batches of <paramref name="features"/>, <paramref name="targets"/> and <paramref name="weights"/>, whose example <c>i</c> is row <c>rows[i]</c> of the data.</summary>
    public CachedBatchSource(Tensor features, Tensor targets, Tensor? weights, long[] rows, int batchSize, int seed)
    {
        this.features = features;
        this.targets = targets;
        this.weights = weights;
        this.rows = tensor(rows, device: features.device);
        this.batchSize = batchSize;
        this.seed = seed;
        Count = targets.shape[0];
    }

    public long Count { get; }

    public IEnumerable<Batch> Batches(int epoch, bool shuffle)
    {
        var order = shuffle ? EpochShuffle.Permutation(Count, seed, epoch) : null;
        for (long start = 0; start < Count; start += batchSize)
        {
            var length = Math.Min(batchSize, Count - start);
            if (order is null)
            {
                yield return new Batch(features.narrow(0, start, length), targets.narrow(0, start, length), weights?.narrow(0, start, length), rows.narrow(0, start, length));
                continue;
            }
            using var index = tensor(order.AsSpan((int)start, (int)length).ToArray(), device: features.device);
            yield return new Batch(features.index_select(0, index), targets.index_select(0, index), weights?.index_select(0, index), rows.index_select(0, index));
        }
    }

    public void Dispose()
    {
        features.Dispose();
        targets.Dispose();
        weights?.Dispose();
        rows.Dispose();
    }
}

/// <summary>
/// Streams examples through an IDataView cursor each epoch, shuffling with a seeded buffer of <c>bufferSize</c> rows, for data
/// that does not fit in memory. Targets and weights come from the validating first pass, indexed by row position.
/// </summary>
internal sealed class StreamingBatchSource : IBatchSource
{
    private readonly IDataView data;
    private readonly FeatureColumn features;
    private readonly long[] rows;
    private readonly ExampleTable table;
    private readonly float[]? weights;
    private readonly ScalarType targetType;
    private readonly int batchSize;
    private readonly int bufferSize;
    private readonly int seed;
    private readonly Device device;

    /// <summary>Streams the rows at positions <paramref name="rows"/> (ascending) of <paramref name="data"/>.</summary>
    public StreamingBatchSource(IDataView data, FeatureColumn features, long[] rows, ExampleTable table, ScalarType targetType,
        int batchSize, int bufferSize, int seed, Device device)
    {
        this.data = data;
        this.features = features;
        this.rows = rows;
        this.table = table;
        weights = table.Weights;
        this.targetType = targetType;
        this.batchSize = batchSize;
        this.bufferSize = Math.Max(bufferSize, 1);
        this.seed = seed;
        this.device = device;
    }

    public long Count => rows.Length;

    public IEnumerable<Batch> Batches(int epoch, bool shuffle)
    {
        var size = features.Size;
        var random = EpochShuffle.Random(seed, epoch);
        var capacity = shuffle ? bufferSize : 1;
        var bufferFeatures = new float[(long)capacity * size];
        var bufferRows = new long[capacity];
        var buffered = 0;
        var batchFeatures = new float[(long)batchSize * size];
        var batchRows = new long[batchSize];
        var inBatch = 0;
        var next = 0;

        using var cursor = data.GetRowCursor([data.Schema[features.Name]]);
        var read = features.MakeReader(cursor);
        while (cursor.MoveNext())
        {
            if (next == rows.Length)
                break;
            if (cursor.Position != rows[next])
                continue;
            next++;
            if (buffered < capacity)
            {
                read(bufferFeatures.AsSpan(buffered * size, size));
                bufferRows[buffered++] = cursor.Position;
                if (shuffle)
                    continue;
                buffered = 0;
                Emit(0);
            }
            else
            {
                // Reservoir-style: a random buffered example leaves, the new row takes its slot.
                var slot = random.Next(capacity);
                Emit(slot);
                read(bufferFeatures.AsSpan(slot * size, size));
                bufferRows[slot] = cursor.Position;
            }
            if (inBatch == batchSize)
            {
                yield return ToBatch(batchFeatures, batchRows, inBatch);
                inBatch = 0;
            }
        }

        var rest = Enumerable.Range(0, buffered).ToArray();
        if (shuffle)
            random.Shuffle(rest);
        foreach (var slot in rest)
        {
            Emit(slot);
            if (inBatch == batchSize)
            {
                yield return ToBatch(batchFeatures, batchRows, inBatch);
                inBatch = 0;
            }
        }
        if (inBatch > 0)
            yield return ToBatch(batchFeatures, batchRows, inBatch);

        void Emit(int slot)
        {
            bufferFeatures.AsSpan(slot * size, size).CopyTo(batchFeatures.AsSpan(inBatch * size, size));
            batchRows[inBatch++] = bufferRows[slot];
        }
    }

    private Batch ToBatch(float[] batchFeatures, long[] batchRows, int count)
    {
        var size = features.Size;
        var x = tensor(batchFeatures.AsSpan(0, count * size).ToArray(), [count, size], device: device);
        var y = table.TargetTensor(batchRows[..count], targetType, device);
        var w = weights is null ? null : tensor(batchRows.Take(count).Select(r => weights[r]).ToArray(), device: device);
        return new Batch(x, y, w, tensor(batchRows[..count], device: device));
    }

    public void Dispose() { }
}
