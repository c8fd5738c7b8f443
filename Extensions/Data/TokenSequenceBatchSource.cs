using MlNetDeep.Networks;
using static TorchSharp.torch;

namespace MlNetDeep.Data;

/// <summary>
/// Cached token sequences of different lengths: each batch is padded to its longest sequence with
/// <see cref="TokenEmbeddingLayer.Padding"/>, from which the embedding layer derives the padding mask.
/// </summary>
internal sealed class TokenSequenceBatchSource : IBatchSource
{
    private readonly float[][] sequences;
    private readonly Tensor targets;
    private readonly Tensor? weights;
    private readonly long[] dataRows;
    private readonly int batchSize;
    private readonly int seed;

    /// <summary>Batches of the sequences, whose sequence <c>i</c> is row <c>dataRows[i]</c> of the data.</summary>
    public TokenSequenceBatchSource(float[][] sequences, Tensor targets, Tensor? weights, long[] dataRows, int batchSize, int seed)
    {
        this.sequences = sequences;
        this.targets = targets;
        this.weights = weights;
        this.dataRows = dataRows;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    public long Count => sequences.Length;

    public IEnumerable<Batch> Batches(int epoch, bool shuffle)
    {
        var order = shuffle ? EpochShuffle.Permutation(Count, seed, epoch) : Enumerable.Range(0, sequences.Length).Select(i => (long)i).ToArray();
        for (var start = 0; start < order.Length; start += batchSize)
        {
            var rows = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var length = rows.Max(r => sequences[r].Length);
            var padded = new float[rows.Length * length];
            Array.Fill(padded, TokenEmbeddingLayer.Padding);
            for (var i = 0; i < rows.Length; i++)
                sequences[rows[i]].CopyTo(padded, i * length);
            using var index = tensor(rows, device: targets.device);
            yield return new Batch(tensor(padded, [rows.Length, length], device: targets.device), targets.index_select(0, index), weights?.index_select(0, index),
                tensor(rows.Select(r => dataRows[r]).ToArray(), device: targets.device));
        }
    }

    public void Dispose()
    {
        targets.Dispose();
        weights?.Dispose();
    }
}
