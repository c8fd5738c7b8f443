using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Classification;

/// <summary>
/// The classes of an evaluation, by name, in a fixed order: a key column's values first (in key order), then any name
/// met later (a predicted class the label's dictionary lacks).
/// </summary>
internal sealed class ClassList
{
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _indices = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Names => _names;

    public int Count => _names.Count;

    public int IndexOf(string name)
    {
        if (_indices.TryGetValue(name, out var index))
            return index;
        _indices.Add(name, _names.Count);
        _names.Add(name);
        return _names.Count - 1;
    }

    public bool Contains(string name) => _indices.ContainsKey(name);
}

/// <summary>
/// Reads a vector column of class keys (from <c>MapValueToKey</c>, as ML.NET's trainers write them) or of class names
/// (text, e.g. after <c>MapKeyToValue</c>) as indices into a shared <see cref="ClassList"/>. A key is named by the
/// column's key values, or by its number when the column has none; a missing key (0) and an empty name read as
/// <see cref="Missing"/>.
/// </summary>
internal sealed class ClassVectorColumn
{
    public const int Missing = -1;

    private readonly ValueGetter<VBuffer<uint>>? _keyGetter;
    private readonly ValueGetter<VBuffer<ReadOnlyMemory<char>>>? _textGetter;
    private readonly string[]? _keyNames;
    private readonly ulong _keyCount;
    private readonly ClassList _classes;
    private readonly Dictionary<uint, int> _keyIndices = [];
    private VBuffer<uint> _keys;
    private VBuffer<ReadOnlyMemory<char>> _texts;
    private int[] _indices = [];

    private ClassVectorColumn(DataViewRow row, DataViewSchema.Column column, ClassList classes)
    {
        _classes = classes;
        Name = column.Name;
        var itemType = ((VectorDataViewType)column.Type).ItemType;
        if (itemType is KeyDataViewType key)
        {
            _keyGetter = row.GetGetter<VBuffer<uint>>(column);
            _keyCount = key.Count;
            _keyNames = ColumnAnnotations.Text(column, ColumnAnnotations.KeyValues);
        }
        else
        {
            _textGetter = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        }
    }

    /// <summary>The column's name, for messages.</summary>
    public string Name { get; }

    /// <summary>Whether the column can be read: a vector of UInt32 keys or of text.</summary>
    public static bool IsSupported(DataViewType type) =>
        type is VectorDataViewType { ItemType: var item } && (item is KeyDataViewType { RawType: var raw } ? raw == typeof(uint) : item is TextDataViewType);

    /// <summary>Checks the column exists and has a supported type; the message names the column and its role.</summary>
    public static DataViewSchema.Column Require(DataViewSchema schema, string name, string role, string parameterName)
    {
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(parameterName, $"{role} column '{name}' is not in the data.");
        if (!IsSupported(column.Type))
            throw new ArgumentOutOfRangeException(parameterName,
                $"{role} column '{name}' has type {column.Type}; it needs a vector of keys (from MapValueToKey, as ML.NET's trainers write it) or of text, one class per item.");
        return column;
    }

    /// <summary>A reader over <paramref name="row"/>; with <paramref name="registerKeyClasses"/> every class of a key column joins the list now, in key order.</summary>
    public static ClassVectorColumn Create(DataViewRow row, DataViewSchema.Column column, ClassList classes, bool registerKeyClasses)
    {
        var reader = new ClassVectorColumn(row, column, classes);
        if (registerKeyClasses && reader._keyGetter is not null)
        {
            if (reader._keyCount > 1_000_000)
                throw new ArgumentException($"Column '{column.Name}' has a key of {reader._keyCount} values; an evaluation reads at most 1,000,000 classes.", "data");
            for (uint key = 1; key <= reader._keyCount; key++)
                reader.IndexOfKey(key);
        }
        return reader;
    }

    /// <summary>The current row's classes, as indices into the class list or <see cref="Missing"/>.</summary>
    public ReadOnlySpan<int> Read(long row)
    {
        if (_keyGetter is not null)
        {
            _keyGetter(ref _keys);
            var length = _keys.Length;
            EnsureCapacity(length);
            Array.Fill(_indices, Missing, 0, length);
            var values = _keys.GetValues();
            var positions = _keys.IsDense ? default : _keys.GetIndices();
            for (var i = 0; i < values.Length; i++)
            {
                var key = values[i];
                if (key > _keyCount)
                    throw new ArgumentException($"Column '{Name}' holds key {key} in row {row}, beyond its {_keyCount} values.", "data");
                _indices[_keys.IsDense ? i : positions[i]] = key == 0 ? Missing : IndexOfKey(key);
            }
            return _indices.AsSpan(0, length);
        }
        _textGetter!(ref _texts);
        EnsureCapacity(_texts.Length);
        var position = 0;
        foreach (var text in _texts.DenseValues())
            _indices[position++] = text.IsEmpty ? Missing : _classes.IndexOf(text.ToString());
        return _indices.AsSpan(0, position);
    }

    private int IndexOfKey(uint key)
    {
        if (!_keyIndices.TryGetValue(key, out var index))
        {
            index = _classes.IndexOf(_keyNames is not null && key <= _keyNames.Length ? _keyNames[key - 1] : key.ToString(CultureInfo.InvariantCulture));
            _keyIndices.Add(key, index);
        }
        return index;
    }

    private void EnsureCapacity(int length)
    {
        if (_indices.Length < length)
            _indices = new int[Math.Max(length, 2 * _indices.Length)];
    }
}
