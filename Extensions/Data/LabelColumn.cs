using MlNetDeep.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Data;

/// <summary>
/// A bound label column: reads key, uint, bool, float or double labels as float targets (a key as its 0-based index), or
/// a known-size float vector (several regression targets per row), and remembers the class values a key's annotation holds.
/// </summary>
internal sealed class LabelColumn
{
    private LabelColumn(DataViewSchema.Column column, int keyCount, ClassValues? classes, int size)
    {
        Column = column;
        KeyCount = keyCount;
        Classes = classes;
        Size = size;
    }

    public DataViewSchema.Column Column { get; }

    public string Name => Column.Name;

    /// <summary>The class count of a key-typed label, 0 for other types.</summary>
    public int KeyCount { get; }

    /// <summary>The key's class values (from its KeyValues annotation), when present.</summary>
    public ClassValues? Classes { get; }

    /// <summary>Target values per row: 1, or the vector size of a vector label.</summary>
    public int Size { get; }

    public static bool IsSupported(DataViewType type) =>
        type is KeyDataViewType { RawType: var raw } && raw == typeof(uint)
        || type == NumberDataViewType.UInt32 || type == BooleanDataViewType.Instance
        || type == NumberDataViewType.Single || type == NumberDataViewType.Double
        || type is VectorDataViewType { IsKnownSize: true, ItemType: var item } && item == NumberDataViewType.Single;

    public static LabelColumn Bind(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(name), $"Label column '{name}' is not in the data.");
        if (!IsSupported(column.Type))
            throw new ArgumentOutOfRangeException(nameof(name),
                $"Label column '{name}' has type {column.Type}; MlNetDeep reads key (uint), UInt32, Boolean, Single or Double labels, or a known-size Single vector.");
        return column.Type switch
        {
            KeyDataViewType { Count: > int.MaxValue } key =>
                throw new ArgumentOutOfRangeException(nameof(name), $"Label column '{name}' is a key with {key.Count} values, too many classes."),
            KeyDataViewType key => new LabelColumn(column, (int)key.Count, ClassValues.FromKeyAnnotation(column), 1),
            VectorDataViewType vector => new LabelColumn(column, 0, null, vector.Size),
            _ => new LabelColumn(column, 0, null, 1),
        };
    }

    /// <summary>
    /// A reader that writes the row's <see cref="Size"/> target values: a key's 0-based index (NaN when the key is
    /// missing), 0/1 for a bool, the number itself, or a vector's values.
    /// </summary>
    public Action<Span<float>> MakeReader(DataViewRow row)
    {
        var type = Column.Type;
        if (type is VectorDataViewType)
        {
            var getter = row.GetGetter<VBuffer<float>>(Column);
            VBuffer<float> values = default;
            return destination => { getter(ref values); values.CopyTo(destination); };
        }
        if (type is KeyDataViewType)
        {
            var getter = row.GetGetter<uint>(Column);
            uint value = 0;
            return destination => { getter(ref value); destination[0] = value == 0 ? float.NaN : value - 1; };
        }
        if (type == NumberDataViewType.UInt32)
        {
            var getter = row.GetGetter<uint>(Column);
            uint value = 0;
            return destination => { getter(ref value); destination[0] = value; };
        }
        if (type == BooleanDataViewType.Instance)
        {
            var getter = row.GetGetter<bool>(Column);
            var value = false;
            return destination => { getter(ref value); destination[0] = value ? 1f : 0f; };
        }
        if (type == NumberDataViewType.Single)
        {
            var getter = row.GetGetter<float>(Column);
            var value = 0f;
            return destination => { getter(ref value); destination[0] = value; };
        }
        var doubleGetter = row.GetGetter<double>(Column);
        var doubleValue = 0.0;
        return destination => { doubleGetter(ref doubleValue); destination[0] = (float)doubleValue; };
    }
}
