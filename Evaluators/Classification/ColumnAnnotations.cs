using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Classification;

/// <summary>Vector annotations of a column (key values, slot names) read as text, whatever their item type.</summary>
internal static class ColumnAnnotations
{
    public const string KeyValues = "KeyValues";

    public const string SlotNames = "SlotNames";

    /// <summary>The annotation's values as text, or null when the column has no such vector annotation.</summary>
    public static string[]? Text(DataViewSchema.Column column, string annotationName)
    {
        if (column.Annotations.Schema.GetColumnOrNull(annotationName) is not { Type: VectorDataViewType vectorType })
            return null;
        var read = typeof(ColumnAnnotations).GetMethod(nameof(Read), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(vectorType.ItemType.RawType);
        return (string[])read.Invoke(null, [column, annotationName])!;
    }

    private static string[] Read<T>(DataViewSchema.Column column, string annotationName)
    {
        var values = default(VBuffer<T>);
        column.Annotations.GetValue(annotationName, ref values);
        return values.DenseValues().Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToArray();
    }
}
