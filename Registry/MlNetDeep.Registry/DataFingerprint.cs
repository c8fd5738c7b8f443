using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Registry;

/// <summary>A column of a fingerprinted data set.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Type">ML.NET's name of its type, e.g. <c>Vector&lt;Single, 784&gt;</c>.</param>
public sealed record ColumnDescription(string Name, string Type);

/// <summary>
/// What identifies a data set: its schema, row count and a SHA-256 of its content, plus where it came from when known.
/// Two runs over the same rows in the same order give the same hash, whatever the loader or the machine.
/// </summary>
public sealed record DataFingerprint
{
    /// <summary>The visible columns, in order.</summary>
    public required IReadOnlyList<ColumnDescription> Schema { get; init; }

    /// <summary>The number of rows.</summary>
    public required long RowCount { get; init; }

    /// <summary>The lower-case hexadecimal SHA-256 over the schema and every value of every visible column, row by row.</summary>
    public required string ContentSha256 { get; init; }

    /// <summary>Columns whose type the hash cannot read (e.g. images in memory); their values are not part of the hash.</summary>
    public IReadOnlyList<string> UnhashedColumns { get; init; } = [];

    /// <summary>Where the data came from: a file path, a query, a URL; null when not known.</summary>
    public string? Source { get; init; }

    /// <summary>
    /// Reads every row of <paramref name="data"/> once, in cursor order, and fingerprints it. Values enter the hash in a
    /// fixed encoding (little-endian numbers, UTF-8 text with its length, vectors densified with their length), so sparse
    /// and dense forms of a vector hash alike.
    /// </summary>
    /// <param name="data">The data set.</param>
    /// <param name="source">Where it came from (path, query), recorded as given.</param>
    /// <param name="cancellationToken">Stops the pass between rows.</param>
    public static DataFingerprint Compute(IDataView data, string? source = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var columns = data.Schema.Where(c => !c.IsHidden).ToArray();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var writer = new ValueWriter(hash);
        foreach (var column in columns)
        {
            writer.WriteText(column.Name.AsSpan());
            writer.WriteText(TypeName(column.Type).AsSpan());
        }

        long rows = 0;
        using var cursor = data.GetRowCursor(columns);
        var hashers = columns.Select(c => ColumnHasher.Create(cursor, c)).ToArray();
        while (cursor.MoveNext())
        {
            if ((rows & 1023) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            foreach (var hasher in hashers)
                hasher?.Write(ref writer);
            rows++;
        }
        writer.Flush();
        return new DataFingerprint
        {
            Schema = columns.Select(c => new ColumnDescription(c.Name, TypeName(c.Type))).ToArray(),
            RowCount = rows,
            ContentSha256 = Convert.ToHexStringLower(hash.GetHashAndReset()),
            UnhashedColumns = columns.Where((_, i) => hashers[i] is null).Select(c => c.Name).ToArray(),
            Source = source,
        };
    }

    private static string TypeName(DataViewType type) => type.ToString() ?? type.RawType.Name;

    /// <summary>Buffers encoded values in front of the hash.</summary>
    internal struct ValueWriter(IncrementalHash hash)
    {
        private readonly byte[] buffer = new byte[64 * 1024];
        private int used;

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > buffer.Length - used)
            {
                Flush();
                if (bytes.Length > buffer.Length)
                {
                    hash.AppendData(bytes);
                    return;
                }
            }
            bytes.CopyTo(buffer.AsSpan(used));
            used += bytes.Length;
        }

        public void WriteLength(int length)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
            WriteBytes(bytes);
        }

        public void WriteText(ReadOnlySpan<char> text)
        {
            var length = Encoding.UTF8.GetByteCount(text);
            WriteLength(length);
            if (length > buffer.Length - used)
                Flush();
            if (length <= buffer.Length - used)
            {
                used += Encoding.UTF8.GetBytes(text, buffer.AsSpan(used));
                return;
            }
            WriteBytes(Encoding.UTF8.GetBytes(text.ToArray()));
        }

        public void Flush()
        {
            hash.AppendData(buffer, 0, used);
            used = 0;
        }
    }

    /// <summary>Reads one column of the current row into the hash.</summary>
    private abstract class ColumnHasher
    {
        public abstract void Write(ref ValueWriter writer);

        public static ColumnHasher? Create(DataViewRowCursor cursor, DataViewSchema.Column column)
        {
            var itemType = column.Type is VectorDataViewType vector ? vector.ItemType : column.Type;
            var raw = itemType.RawType;
            var isVector = column.Type is VectorDataViewType;
            if (raw == typeof(ReadOnlyMemory<char>))
                return isVector ? new TextVectorHasher(cursor, column) : new TextHasher(cursor, column);
            if (raw == typeof(DateTimeOffset))
                return isVector ? null : new DateTimeOffsetHasher(cursor, column);
            if (!IsFixedLayout(raw))
                return null;
            var hasherType = (isVector ? typeof(VectorHasher<>) : typeof(ScalarHasher<>)).MakeGenericType(raw);
            return (ColumnHasher)Activator.CreateInstance(hasherType, cursor, column)!;
        }

        /// <summary>Types whose bytes are their value: no padding, no references, one meaning per bit pattern.</summary>
        private static bool IsFixedLayout(Type type) =>
            type == typeof(bool) || type == typeof(sbyte) || type == typeof(byte) || type == typeof(short) || type == typeof(ushort)
            || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong) || type == typeof(float)
            || type == typeof(double) || type == typeof(DataViewRowId) || type == typeof(TimeSpan) || type == typeof(DateTime);
    }

    private sealed class ScalarHasher<T>(DataViewRowCursor cursor, DataViewSchema.Column column) : ColumnHasher where T : unmanaged
    {
        private readonly ValueGetter<T> getter = cursor.GetGetter<T>(column);

        public override void Write(ref ValueWriter writer)
        {
            T value = default;
            getter(ref value);
            writer.WriteBytes(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref value)));
        }
    }

    private sealed class VectorHasher<T>(DataViewRowCursor cursor, DataViewSchema.Column column) : ColumnHasher where T : unmanaged
    {
        private readonly ValueGetter<VBuffer<T>> getter = cursor.GetGetter<VBuffer<T>>(column);
        private VBuffer<T> value;
        private T[] dense = [];

        public override void Write(ref ValueWriter writer)
        {
            getter(ref value);
            writer.WriteLength(value.Length);
            if (value.IsDense)
            {
                writer.WriteBytes(MemoryMarshal.AsBytes(value.GetValues()));
                return;
            }
            if (dense.Length < value.Length)
                dense = new T[value.Length];
            var span = dense.AsSpan(0, value.Length);
            span.Clear();
            var indices = value.GetIndices();
            var values = value.GetValues();
            for (var i = 0; i < indices.Length; i++)
                span[indices[i]] = values[i];
            writer.WriteBytes(MemoryMarshal.AsBytes((ReadOnlySpan<T>)span));
        }
    }

    private sealed class TextHasher(DataViewRowCursor cursor, DataViewSchema.Column column) : ColumnHasher
    {
        private readonly ValueGetter<ReadOnlyMemory<char>> getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        private ReadOnlyMemory<char> value;

        public override void Write(ref ValueWriter writer)
        {
            getter(ref value);
            writer.WriteText(value.Span);
        }
    }

    private sealed class TextVectorHasher(DataViewRowCursor cursor, DataViewSchema.Column column) : ColumnHasher
    {
        private readonly ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        private VBuffer<ReadOnlyMemory<char>> value;

        public override void Write(ref ValueWriter writer)
        {
            getter(ref value);
            writer.WriteLength(value.Length);
            var dense = value.DenseValues();
            foreach (var text in dense)
                writer.WriteText(text.Span);
        }
    }

    private sealed class DateTimeOffsetHasher(DataViewRowCursor cursor, DataViewSchema.Column column) : ColumnHasher
    {
        private readonly ValueGetter<DateTimeOffset> getter = cursor.GetGetter<DateTimeOffset>(column);

        public override void Write(ref ValueWriter writer)
        {
            DateTimeOffset value = default;
            getter(ref value);
            Span<byte> bytes = stackalloc byte[10];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value.UtcTicks);
            BinaryPrimitives.WriteInt16LittleEndian(bytes[8..], (short)value.Offset.TotalMinutes);
            writer.WriteBytes(bytes);
        }
    }
}
