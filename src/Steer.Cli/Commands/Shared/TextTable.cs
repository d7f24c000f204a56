namespace Steer.Cli.Commands.Shared;

/// <summary>A plain aligned table for text output: the first <c>textColumns</c> columns left-aligned, numbers right-aligned.</summary>
internal static class TextTable
{
    public static void Write(TextWriter output, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, int textColumns = 1)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = header.Select((_, c) => all.Max(r => c < r.Count ? r[c].Length : 0)).ToArray();
        foreach (var row in all)
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c < textColumns ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
    }
}
