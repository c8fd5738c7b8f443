using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// A streaming data view of <c>rows</c> 28 × 28 images with pseudo-random pixels (a function of the row index) and a Label
/// in Fashion-MNIST's class names: as many rows as a nightly job scores, without holding any of them.
/// </summary>
internal sealed class SyntheticImages(long rows) : IDataView
{
    private const int Pixels = 28 * 28;

    public DataViewSchema Schema { get; } = CreateSchema();

    public bool CanShuffle => false;

    public long? GetRowCount() => rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    private static DataViewSchema CreateSchema()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Label", TextDataViewType.Instance);
        builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, 28, 28));
        return builder.ToSchema();
    }

    private sealed class Cursor(SyntheticImages view) : DataViewRowCursor
    {
        private long position = -1;

        public override DataViewSchema Schema => view.Schema;

        public override long Position => position;

        public override long Batch => 0;

        public override bool MoveNext() => ++position < view.GetRowCount();

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 0)
            {
                ValueGetter<ReadOnlyMemory<char>> label = (ref ReadOnlyMemory<char> value) => value = IdxImages.FashionMnistClassNames[(int)(position % 10)].AsMemory();
                return (ValueGetter<TValue>)(Delegate)label;
            }
            ValueGetter<VBuffer<float>> pixels = (ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, Pixels);
                var state = (ulong)position * 0x9E3779B97F4A7C15UL + 1;
                for (var i = 0; i < Pixels; i++)
                {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    editor.Values[i] = (state >> 40) / (float)(1 << 24);
                }
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)pixels;
        }
    }
}
