using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Data;

/// <summary>
/// A bound label column: reads key, uint, bool, float or double labels as float targets (a key as its 0-based index)
/// and remembers the class values a key's annotation holds.
/// </summary>
internal sealed class LabelColumn
{
    private LabelColumn(DataViewSchema.Column column, int keyCount, ClassValues? classes)
    {
        Column = column;
        KeyCount = keyCount;
        Classes = classes;
    }

    public DataViewSchema.Column Column { get; }

    public string Name => Column.Name;

    /// <summary>The class count of a key-typed label, 0 for other types.</summary>
    public int KeyCount { get; }

    /// <summary>The key's class values (from its KeyValues annotation), when present.</summary>
    public ClassValues? Classes { get; }

    public static bool IsSupported(DataViewType type) =>
        type is KeyDataViewType { RawType: var raw } && raw == typeof(uint)
        || type == NumberDataViewType.UInt32 || type == BooleanDataViewType.Instance
        || type == NumberDataViewType.Single || type == NumberDataViewType.Double;

    public static LabelColumn Bind(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(name), $"Label column '{name}' is not in the data.");
        if (!IsSupported(column.Type))
            throw new ArgumentOutOfRangeException(nameof(name),
                $"Label column '{name}' has type {column.Type}; MlNetDeep reads key (uint), UInt32, Boolean, Single or Double labels.");
        if (column.Type is KeyDataViewType key)
        {
            if (key.Count > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(name), $"Label column '{name}' is a key with {key.Count} values, too many classes.");
            return new LabelColumn(column, (int)key.Count, ClassValues.FromKeyAnnotation(column));
        }
        return new LabelColumn(column, 0, null);
    }

    /// <summary>A getter that yields the row's label as a float: a key's 0-based index (NaN when the key is missing), 0/1 for a bool.</summary>
    public Func<float> MakeGetter(DataViewRow row)
    {
        var type = Column.Type;
        if (type is KeyDataViewType)
        {
            var getter = row.GetGetter<uint>(Column);
            uint value = 0;
            return () => { getter(ref value); return value == 0 ? float.NaN : value - 1; };
        }
        if (type == NumberDataViewType.UInt32)
        {
            var getter = row.GetGetter<uint>(Column);
            uint value = 0;
            return () => { getter(ref value); return value; };
        }
        if (type == BooleanDataViewType.Instance)
        {
            var getter = row.GetGetter<bool>(Column);
            var value = false;
            return () => { getter(ref value); return value ? 1f : 0f; };
        }
        if (type == NumberDataViewType.Single)
        {
            var getter = row.GetGetter<float>(Column);
            var value = 0f;
            return () => { getter(ref value); return value; };
        }
        var doubleGetter = row.GetGetter<double>(Column);
        var doubleValue = 0.0;
        return () => { doubleGetter(ref doubleValue); return (float)doubleValue; };
    }
}

/// <summary>The values of a classification label's classes, in class-index order, with their ML.NET type.</summary>
internal sealed record ClassValues(PrimitiveDataViewType Type, Array Values)
{
    /// <summary>ML.NET's annotation kind for a key's values.</summary>
    public const string KeyValuesAnnotation = "KeyValues";

    public int Count => Values.Length;

    public static ClassValues? FromKeyAnnotation(DataViewSchema.Column column)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(KeyValuesAnnotation);
        if (annotation?.Type is not VectorDataViewType { ItemType: PrimitiveDataViewType itemType })
            return null;
        var read = typeof(ClassValues).GetMethod(nameof(ReadKeyValues), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(itemType.RawType);
        return new ClassValues(itemType, (Array)read.Invoke(null, [column])!);
    }

    private static T[] ReadKeyValues<T>(DataViewSchema.Column column)
    {
        VBuffer<T> values = default;
        column.GetKeyValues(ref values);
        return values.DenseValues().ToArray();
    }

    /// <summary>The class values as display strings, in class-index order.</summary>
    public string[] Names() => Values.Cast<object>().Select(v => v.ToString() ?? "").ToArray();
}
