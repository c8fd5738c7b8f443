using System.Text;

namespace MlNetDeep.Models;

/// <summary>A plain-text table: a header row, a rule, rows; columns padded to their widest cell, numbers right-aligned.</summary>
internal sealed class TextTable(params string[] headers)
{
    private const int MaximumCellWidth = 72;
    private readonly List<string[]> rows = [];
    private readonly HashSet<int> rightAligned = [];

    public int Count => rows.Count;

    public TextTable AlignRight(params int[] columns)
    {
        rightAligned.UnionWith(columns);
        return this;
    }

    public void Add(params string?[] cells) =>
        rows.Add(cells.Select(c => Shorten((c ?? "").ReplaceLineEndings(" "))).ToArray());

    public void WriteTo(TextWriter output)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        output.WriteLine(Line(headers, widths));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
            output.WriteLine(Line(row, widths));
    }

    private string Line(IReadOnlyList<string> cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Count ? cells[i] : "";
            if (i > 0)
                line.Append("  ");
            line.Append(rightAligned.Contains(i) ? cell.PadLeft(widths[i]) : i == widths.Length - 1 ? cell : cell.PadRight(widths[i]));
        }
        return line.ToString().TrimEnd();
    }

    private static string Shorten(string text) => text.Length <= MaximumCellWidth ? text : text[..(MaximumCellWidth - 1)] + "…";
}
