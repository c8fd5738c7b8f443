using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Scoring;

/// <summary>
/// What an ML.NET ONNX scorer adds to <c>source</c>, computed <c>batchSize</c> rows at a time by a batched graph: the
/// same columns, types and values, streamed. A cursor reads ahead on a second cursor of <c>source</c> that reads the
/// graph's input only, so the other columns pass through row by row and nothing else is buffered.
/// </summary>
internal sealed class BatchedOnnxDataView : IDataView
{
    private readonly IDataView source;
    private readonly BatchedOnnxStep step;
    private readonly int batchSize;
    private readonly RowCounter? counter;

    public BatchedOnnxDataView(IDataView source, BatchedOnnxStep step, int batchSize, RowCounter? counter)
    {
        this.source = source;
        this.step = step;
        this.batchSize = batchSize;
        this.counter = counter;
        var scored = step.Scorer.GetOutputSchema(source.Schema);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(source.Schema);
        foreach (var output in step.Graph.Outputs)
            builder.AddColumn(output.Name, scored[output.Name].Type, scored[output.Name].Annotations);
        Schema = builder.ToSchema();
        var input = source.Schema.GetColumnOrNull(step.Graph.InputName)
            ?? throw new ArgumentOutOfRangeException(nameof(source), $"The data has no column '{step.Graph.InputName}', which the model's ONNX graph reads.");
        if (input.Type is not VectorDataViewType { ItemType: NumberDataViewType itemType } vector || itemType != NumberDataViewType.Single || vector.Size != step.Graph.InputSize)
            throw new ArgumentOutOfRangeException(nameof(source), $"Column '{input.Name}' has type {input.Type}; the model's ONNX graph reads {step.Graph.InputSize} Single values.");
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => false;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToArray();
        var sourceColumns = needed.Where(c => c.Index < source.Schema.Count).Select(c => source.Schema[c.Index]).ToArray();
        var outputsNeeded = needed.Any(c => c.Index >= source.Schema.Count);
        var main = source.GetRowCursor(sourceColumns);
        var lead = outputsNeeded ? source.GetRowCursor([source.Schema[step.Graph.InputName]]) : null;
        return new Cursor(this, main, lead);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedOnnxDataView view;
        private readonly DataViewRowCursor main;
        private readonly DataViewRowCursor? lead;
        private readonly ValueGetter<VBuffer<float>>? readInput;
        private readonly float[] inputs;
        private readonly Array[] outputs;
        private VBuffer<float> row;
        private int rowsInBatch;
        private int indexInBatch;
        private long position = -1;

        public Cursor(BatchedOnnxDataView view, DataViewRowCursor main, DataViewRowCursor? lead)
        {
            this.view = view;
            this.main = main;
            this.lead = lead;
            var graph = view.step.Graph;
            inputs = lead is null ? [] : new float[view.batchSize * graph.InputSize];
            outputs = lead is null ? [] : view.step.NewOutputs(view.batchSize);
            readInput = lead?.GetGetter<VBuffer<float>>(lead.Schema[graph.InputName]);
        }

        public override DataViewSchema Schema => view.Schema;

        public override long Position => position;

        public override long Batch => main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < view.source.Schema.Count ? main.IsColumnActive(main.Schema[column.Index]) : lead is not null;

        public override bool MoveNext()
        {
            if (!main.MoveNext())
                return false;
            position++;
            if (lead is not null && ++indexInBatch >= rowsInBatch)
                ScoreNextBatch();
            return true;
        }

        private void ScoreNextBatch()
        {
            var size = view.step.Graph.InputSize;
            var count = 0;
            while (count < view.batchSize && lead!.MoveNext())
            {
                readInput!(ref row);
                if (row.Length != size)
                    throw new InvalidOperationException($"Row {lead.Position} of column '{view.step.Graph.InputName}' has {row.Length} values; the model reads {size}.");
                var destination = inputs.AsSpan(count * size, size);
                if (row.IsDense)
                    row.GetValues().CopyTo(destination);
                else
                    row.CopyTo(destination);
                count++;
            }
            if (count == 0)
                throw new InvalidOperationException("The data gave fewer rows on a second read than on the first; batch scoring needs data that reads the same way twice.");
            view.step.Run(inputs, count, outputs);
            rowsInBatch = count;
            indexInBatch = 0;
            view.counter?.Add(count);
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < view.source.Schema.Count)
                return main.GetGetter<TValue>(main.Schema[column.Index]);
            var output = column.Index - view.source.Schema.Count;
            var width = view.step.Graph.Outputs[output].ValuesPerExample;
            return outputs[output] switch
            {
                float[] floats when typeof(TValue) == typeof(VBuffer<float>) => (ValueGetter<TValue>)(Delegate)Vector(floats, width),
                long[] longs when typeof(TValue) == typeof(VBuffer<long>) => (ValueGetter<TValue>)(Delegate)Vector(longs, width),
                _ => throw new InvalidOperationException($"Column '{column.Name}' cannot be read as {typeof(TValue).Name}."),
            };
        }

        private ValueGetter<VBuffer<T>> Vector<T>(T[] values, int width) => (ref VBuffer<T> destination) =>
        {
            var editor = VBufferEditor.Create(ref destination, width);
            values.AsSpan(indexInBatch * width, width).CopyTo(editor.Values);
            destination = editor.Commit();
        };

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                main.Dispose();
                lead?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>Counts scored rows across cursors and reports the running total.</summary>
internal sealed class RowCounter(IProgress<long> progress)
{
    private long rows;

    public void Add(int count) => progress.Report(Interlocked.Add(ref rows, count));
}
