using MlNetDeep.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;

namespace MlNetDeep.Tasks;

/// <summary>Row of the index → class value map that turns a predicted class index back into the label's value.</summary>
internal sealed class ClassLookupRow<TValue>
{
    public uint Index { get; set; }

    public TValue Value { get; set; } = default!;
}

/// <summary>Row of the class value list that fixes PredictedLabel's key order.</summary>
internal sealed class ClassValueRow<TValue>
{
    public TValue Value { get; set; } = default!;
}

/// <summary>IDataViews for ML.NET's MapValue (index → value) and MapValueToKey (key data) built from a label's class values.</summary>
internal sealed record ClassLookup(IDataView Map, IDataView Values)
{
    public static ClassLookup Create(MLContext ml, ClassValues classes)
    {
        var create = typeof(ClassLookup).GetMethod(nameof(CreateTyped), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(classes.Type.RawType);
        return (ClassLookup)create.Invoke(null, [ml, classes.Values])!;
    }

    private static ClassLookup CreateTyped<TValue>(MLContext ml, Array values)
    {
        var typed = (TValue[])values;
        var map = ml.Data.LoadFromEnumerable(typed.Select((value, i) => new ClassLookupRow<TValue> { Index = (uint)i, Value = value }).ToArray());
        var keys = ml.Data.LoadFromEnumerable(typed.Select(value => new ClassValueRow<TValue> { Value = value }).ToArray());
        return new ClassLookup(map, keys);
    }
}

/// <summary>The KeyValues annotation shape PredictedLabel gets for schema propagation (values are not needed, only their type).</summary>
internal static class KeyValuesShape
{
    /// <summary>As <see cref="MulticlassTask.ResolveClasses"/>: the label key's values, else class indices typed like the label (UInt32 for a key without values).</summary>
    public static DataViewSchema.Annotations? Of(SchemaShape.Column label)
    {
        var keyValues = label.Annotations.FirstOrDefault(c => c.Name == ClassValues.KeyValuesAnnotation);
        var type = label.IsKey ? keyValues.ItemType ?? NumberDataViewType.UInt32 : label.ItemType;
        if (type is not PrimitiveDataViewType itemType)
            return null;
        var add = typeof(KeyValuesShape).GetMethod(nameof(AddTyped), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(itemType.RawType);
        var builder = new DataViewSchema.Annotations.Builder();
        add.Invoke(null, [builder, itemType]);
        return builder.ToAnnotations();
    }

    private static void AddTyped<T>(DataViewSchema.Annotations.Builder builder, PrimitiveDataViewType itemType)
    {
        ValueGetter<VBuffer<T>> getter = (ref VBuffer<T> value) => value = new VBuffer<T>(2, new T[2]);
        builder.Add(ClassValues.KeyValuesAnnotation, new VectorDataViewType(itemType, 2), getter);
    }
}
