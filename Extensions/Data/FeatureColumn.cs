using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Data;

/// <summary>
/// A bound feature column: a fixed-size Single or Double vector, or a Single or Double scalar, read as float32.
/// <paramref name="Dimensions"/> are the vector's declared dimensions (e.g. channels, height, width from ExtractPixels).
/// </summary>
internal sealed record FeatureColumn(string Name, int Size, bool IsDouble, bool IsScalar, int[] Dimensions)
{
    /// <summary>Whether ML.NET's OnnxTransformer can read the column as is (a known-size Single vector).</summary>
    public bool IsOnnxReady => !IsDouble && !IsScalar;

    /// <summary>Checks a column's shape during schema propagation; returns an error message or null.</summary>
    public static string? Check(SchemaShape.Column column)
    {
        var numeric = column.ItemType == NumberDataViewType.Single || column.ItemType == NumberDataViewType.Double;
        if (!numeric || column.IsKey)
            return $"Feature column '{column.Name}' has item type {column.ItemType}; MlNetDeep needs Single or Double features.";
        if (column.Kind == SchemaShape.Column.VectorKind.VariableVector)
            return $"Feature column '{column.Name}' is a variable-size vector; MlNetDeep needs a fixed size (e.g. from Concatenate, ResizeImages + ExtractPixels, or a [VectorType(n)] field).";
        return null;
    }

    public static FeatureColumn Bind(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(name), $"Feature column '{name}' is not in the data.");
        var type = column.Type;
        var itemType = type is VectorDataViewType vector ? vector.ItemType : type;
        if (itemType != NumberDataViewType.Single && itemType != NumberDataViewType.Double)
            throw new ArgumentOutOfRangeException(nameof(name), $"Feature column '{name}' has type {type}; MlNetDeep needs Single or Double features.");
        if (type is VectorDataViewType { IsKnownSize: false })
            throw new ArgumentOutOfRangeException(nameof(name),
                $"Feature column '{name}' is a variable-size vector ({type}); MlNetDeep needs a fixed size (e.g. from Concatenate, ResizeImages + ExtractPixels, or a [VectorType(n)] field).");
        var size = type is VectorDataViewType known ? known.Size : 1;
        var dimensions = type is VectorDataViewType withDimensions ? withDimensions.Dimensions.ToArray() : [1];
        return new FeatureColumn(name, size, itemType == NumberDataViewType.Double, type is not VectorDataViewType, dimensions);
    }

    /// <summary>A reader that copies the current row's features into a span of <see cref="Size"/> floats.</summary>
    public SpanReader MakeReader(DataViewRow row)
    {
        var column = row.Schema[Name];
        if (IsScalar && !IsDouble)
        {
            var getter = row.GetGetter<float>(column);
            var value = 0f;
            return destination => { getter(ref value); destination[0] = value; };
        }
        if (IsScalar)
        {
            var getter = row.GetGetter<double>(column);
            var value = 0.0;
            return destination => { getter(ref value); destination[0] = (float)value; };
        }
        if (!IsDouble)
        {
            var getter = row.GetGetter<VBuffer<float>>(column);
            VBuffer<float> buffer = default;
            return destination => { getter(ref buffer); buffer.CopyTo(destination); };
        }
        var doubleGetter = row.GetGetter<VBuffer<double>>(column);
        VBuffer<double> doubles = default;
        var scratch = new double[Size];
        return destination =>
        {
            doubleGetter(ref doubles);
            doubles.CopyTo(scratch);
            for (var i = 0; i < scratch.Length; i++)
                destination[i] = (float)scratch[i];
        };
    }
}

/// <summary>Copies one value set of the current row into <paramref name="destination"/>.</summary>
internal delegate void SpanReader(Span<float> destination);
