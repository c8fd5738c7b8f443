using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Data;

/// <summary>
/// A bound feature column: a fixed-size Single or Double vector, or a Single or Double scalar, read as float32.
/// <paramref name="Dimensions"/> are the vector's declared dimensions (e.g. channels, height, width from ExtractPixels).
/// For architectures that read token sequences it may instead be a vector of keys (e.g. TokenizeIntoWords +
/// MapValueToKey), of any length: <paramref name="KeyCount"/> is then the key's count and <paramref name="Size"/> 0
/// unless every row has the same length.
/// </summary>
internal sealed record FeatureColumn(string Name, int Size, bool IsDouble, bool IsScalar, int[] Dimensions, int KeyCount = 0)
{
    /// <summary>Whether the column holds token keys, read as one variable-length sequence per row.</summary>
    public bool IsTokenSequence => KeyCount > 0;

    /// <summary>Whether ML.NET's OnnxTransformer can read the column as is (a known-size Single vector).</summary>
    public bool IsOnnxReady => !IsDouble && !IsScalar && !IsTokenSequence;

    /// <summary>Checks a column's shape during schema propagation; returns an error message or null.</summary>
    public static string? Check(SchemaShape.Column column, bool acceptsTokenSequences = false)
    {
        if (acceptsTokenSequences && column.IsKey)
            return column.Kind == SchemaShape.Column.VectorKind.Scalar
                ? $"Feature column '{column.Name}' is a single key; a token sequence is a vector of keys (e.g. TokenizeIntoWords + MapValueToKey)."
                : column.ItemType == NumberDataViewType.UInt32 ? null
                : $"Feature column '{column.Name}' has item type {column.ItemType}; token sequences need UInt32 keys (MapValueToKey makes them).";
        var numeric = column.ItemType == NumberDataViewType.Single || column.ItemType == NumberDataViewType.Double;
        if (!numeric || column.IsKey)
            return $"Feature column '{column.Name}' has item type {column.ItemType}; MlNetDeep needs Single or Double features{(acceptsTokenSequences ? " or a vector of token keys" : "")}.";
        if (column.Kind == SchemaShape.Column.VectorKind.VariableVector)
            return $"Feature column '{column.Name}' is a variable-size vector; MlNetDeep needs a fixed size (e.g. from Concatenate, ResizeImages + ExtractPixels, or a [VectorType(n)] field).";
        return null;
    }

    public static FeatureColumn Bind(DataViewSchema schema, string name, bool acceptsTokenSequences = false)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(name), $"Feature column '{name}' is not in the data.");
        var type = column.Type;
        var itemType = type is VectorDataViewType vector ? vector.ItemType : type;
        if (acceptsTokenSequences && itemType is KeyDataViewType key)
        {
            if (type is not VectorDataViewType tokens)
                throw new ArgumentOutOfRangeException(nameof(name), $"Feature column '{name}' is a single key; a token sequence is a vector of keys (e.g. TokenizeIntoWords + MapValueToKey).");
            if (key.RawType != typeof(uint) || key.Count is 0 or > int.MaxValue - 2)
                throw new ArgumentOutOfRangeException(nameof(name), $"Feature column '{name}' has type {type}; token sequences need UInt32 keys with a known count (MapValueToKey makes them).");
            return new FeatureColumn(name, tokens.IsKnownSize ? tokens.Size : 0, false, false, [], (int)key.Count);
        }
        if (itemType != NumberDataViewType.Single && itemType != NumberDataViewType.Double)
            throw new ArgumentOutOfRangeException(nameof(name), $"Feature column '{name}' has type {type}; MlNetDeep needs Single or Double features.");
        if (type is VectorDataViewType { IsKnownSize: false })
            throw new ArgumentOutOfRangeException(nameof(name),
                $"Feature column '{name}' is a variable-size vector ({type}); MlNetDeep needs a fixed size (e.g. from Concatenate, ResizeImages + ExtractPixels, or a [VectorType(n)] field).");
        var size = type is VectorDataViewType known ? known.Size : 1;
        var dimensions = type is VectorDataViewType withDimensions ? withDimensions.Dimensions.ToArray() : [1];
        return new FeatureColumn(name, size, itemType == NumberDataViewType.Double, type is not VectorDataViewType, dimensions);
    }

    /// <summary>A reader of the current row's token keys, for a token-sequence column.</summary>
    public TokenReader MakeTokenReader(DataViewRow row)
    {
        var getter = row.GetGetter<VBuffer<uint>>(row.Schema[Name]);
        VBuffer<uint> keys = default;
        return () =>
        {
            getter(ref keys);
            var tokens = new float[keys.Length];
            var index = 0;
            foreach (var key in keys.DenseValues())
                tokens[index++] = key;
            return tokens;
        };
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

/// <summary>Reads the current row's token keys (1-based; 0 = not in the key's dictionary) as floats.</summary>
internal delegate float[] TokenReader();

/// <summary>Copies one value set of the current row into <paramref name="destination"/>.</summary>
internal delegate void SpanReader(Span<float> destination);
