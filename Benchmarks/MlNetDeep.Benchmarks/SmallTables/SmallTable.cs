using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Benchmarks.SmallTables;

/// <summary>One row of a small table: its features and label (a class index for classification, the value for regression).</summary>
internal sealed class TableRow
{
    public float[] Features { get; set; } = [];

    public float Label { get; set; }
}

/// <summary>A classification row with a Boolean label, for the binary trainers.</summary>
internal sealed class BinaryTableRow
{
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

/// <summary>
/// A table of the small-table suite as <c>Benchmarks/smalltables/export_tables.py</c> wrote it: features, label, and for
/// each seed which rows are test rows (the same split scikit-learn's side reads).
/// </summary>
internal sealed record SmallTable(string Name, string Task, int? Classes, string Description, string Licence,
    string[] FeatureNames, TableRow[] Rows, IReadOnlyDictionary<int, bool[]> TestRowsBySeed)
{
    public static string DataFolder => Path.Combine(ProjectFolders.SmallTables, "data");

    public bool IsRegression => Task == "regression";

    public static IReadOnlyList<SmallTable> LoadAll()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataFolder, "tables.json")));
        return manifest.RootElement.GetProperty("tables").EnumerateArray().Select(t => Load(
            t.GetProperty("name").GetString()!, t.GetProperty("task").GetString()!,
            t.GetProperty("classes").ValueKind == JsonValueKind.Null ? null : t.GetProperty("classes").GetInt32(),
            t.GetProperty("description").GetString()!, t.GetProperty("licence").GetString()!)).ToArray();
    }

    private static SmallTable Load(string name, string task, int? classes, string description, string licence)
    {
        var lines = ReadLines(Path.Combine(DataFolder, $"{name}.csv.gz"));
        var header = lines[0].Split(',');
        if (header[^1] != "Label")
            throw new InvalidDataException($"The last column of {name}.csv.gz must be Label.");
        var rows = lines.Skip(1).Select(line =>
        {
            var values = line.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            return new TableRow { Features = values[..^1], Label = values[^1] };
        }).ToArray();
        var splitLines = ReadLines(Path.Combine(DataFolder, $"{name}.splits.csv.gz"));
        var seeds = splitLines[0].Split(',').Select(c => int.Parse(c["test_seed".Length..], CultureInfo.InvariantCulture)).ToArray();
        if (splitLines.Length - 1 != rows.Length)
            throw new InvalidDataException($"{name}.splits.csv.gz has {splitLines.Length - 1} rows but the table has {rows.Length}.");
        var flags = splitLines.Skip(1).Select(l => l.Split(',')).ToArray();
        var bySeed = seeds.Select((seed, column) => (seed, flags.Select(f => f[column] == "1").ToArray())).ToDictionary(p => p.seed, p => p.Item2);
        return new SmallTable(name, task, classes, description, licence, header[..^1], rows, bySeed);
    }

    private static string[] ReadLines(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The training and test rows of one seed's split as IDataViews (Features, Label: Single, or Boolean for binary tables).</summary>
    public (IDataView Train, IDataView Test, int TrainRows) Split(MLContext ml, int seed)
    {
        var test = TestRowsBySeed[seed];
        var trainRows = Rows.Where((_, i) => !test[i]).ToArray();
        var testRows = Rows.Where((_, i) => test[i]).ToArray();
        return (Load(ml, trainRows), Load(ml, testRows), trainRows.Length);
    }

    private IDataView Load(MLContext ml, TableRow[] rows)
    {
        var featureCount = FeatureNames.Length;
        if (Task == "binary")
        {
            var schema = SchemaDefinition.Create(typeof(BinaryTableRow));
            schema[nameof(BinaryTableRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
            return ml.Data.LoadFromEnumerable(rows.Select(r => new BinaryTableRow { Features = r.Features, Label = r.Label > 0 }).ToArray(), schema);
        }
        var tableSchema = SchemaDefinition.Create(typeof(TableRow));
        tableSchema[nameof(TableRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return ml.Data.LoadFromEnumerable(rows, tableSchema);
    }
}
