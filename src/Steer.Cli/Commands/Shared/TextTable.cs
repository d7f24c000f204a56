using Steer.Cli.Terminal;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// A plain aligned table for text output: the first <c>textColumns</c> columns left-aligned, numbers right-aligned,
/// numbers in one column in one format (<see cref="NumberColumn"/>), aligned by terminal columns (CJK and emoji count two). Given a width, the widest text column is cut (with "…")
/// until the table fits; numbers are never cut.
/// </summary>
/// <remarks>
/// Not Spectre.Console's Table (0.57.2), measured on this project's tables: its first render costs ~180 ms of JIT per
/// process (a 3-row table: 107 ms → 292 ms wall for the whole process), and when output is piped it wraps rows at 80
/// columns onto several lines, which breaks <c>grep</c>/<c>awk</c> over the output; here a piped table keeps one
/// row per line at full width, and a terminal's table is cut to fit.
/// </remarks>
internal static class TextTable
{
    private const string Gap = "  ";

    public static void Write(TextWriter output, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, int textColumns = 1,
        int? width = null)
    {
        var body = rows.ToList();
        // Numbers in one column share one format (fixed decimals, or scientific for all).
        for (var c = textColumns; c < header.Count; c++)
        {
            var column = NumberColumn.Normalize(body.Select(r => c < r.Count ? r[c] : "").ToList());
            for (var r = 0; r < body.Count; r++)
                if (c < body[r].Count && column[r] != body[r][c]) body[r] = [.. body[r].Take(c), column[r], .. body[r].Skip(c + 1)];
        }
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(body);
        var widths = header.Select((_, c) => all.Max(r => c < r.Count ? TextWidth.Of(r[c]) : 0)).ToArray();
        if (width is { } limit) Fit(widths, textColumns, limit);
        foreach (var row in all)
            output.WriteLine(string.Join(Gap, row.Select((cell, c) => c < textColumns
                ? TextWidth.PadRight(TextWidth.Truncate(cell, widths[c]), widths[c])
                : TextWidth.PadLeft(cell, widths[c]))).TrimEnd());
    }

    /// <summary>Narrows the widest text column, one column at a time, down to 8, until the table fits <paramref name="limit"/>.</summary>
    private static void Fit(int[] widths, int textColumns, int limit)
    {
        const int narrowest = 8;
        var text = Math.Min(textColumns, widths.Length);
        while (widths.Sum() + Gap.Length * (widths.Length - 1) > limit)
        {
            var widest = Enumerable.Range(0, text).Where(c => widths[c] > narrowest).OrderByDescending(c => widths[c]).FirstOrDefault(-1);
            if (widest < 0) return;
            widths[widest] = Math.Max(narrowest, widths[widest] - (widths.Sum() + Gap.Length * (widths.Length - 1) - limit));
        }
    }
}
