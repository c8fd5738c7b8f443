using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Scoring;

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
