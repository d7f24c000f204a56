using Steer.Cli.Terminal;

namespace Steer.Cli.Commands.Shared;

/// <summary>Unsteered completions on the left, steered on the right, row i beside row i (the post's table).</summary>
internal static class ComparisonTable
{
    private const string Bold = "\u001b[1m";
    private const string Reset = "\u001b[0m";

    /// <summary>Each column's width in terminal columns when the output has no width of its own (a pipe, a file).</summary>
    public const int DefaultColumnWidth = 60;

    /// <summary>The column width that fits a table of two columns (and its 7 border characters) into <paramref name="width"/>.</summary>
    public static int ColumnWidthFor(int? width) => width is { } w ? Math.Max(16, (w - 7) / 2) : DefaultColumnWidth;

    /// <param name="ansi">Bold prompts (a terminal that takes colour).</param>
    /// <param name="columnWidth">Terminal columns per side; wide characters (CJK, emoji) count two.</param>
    public static void WriteText(TextWriter output, string prompt, IReadOnlyList<string> unsteered, IReadOnlyList<string> steered,
        bool ansi, int columnWidth = DefaultColumnWidth)
    {
        var rule = "+" + new string('-', columnWidth + 2) + "+" + new string('-', columnWidth + 2) + "+";
        output.WriteLine(rule);
        output.WriteLine($"| {TextWidth.PadRight(TextWidth.Truncate("Unsteered completions", columnWidth), columnWidth)} | " +
            $"{TextWidth.PadRight(TextWidth.Truncate("Steered completions", columnWidth), columnWidth)} |");
        output.WriteLine(rule.Replace('-', '='));
        for (var i = 0; i < Math.Max(unsteered.Count, steered.Count); i++)
        {
            var left = Wrap(prompt, i < unsteered.Count ? unsteered[i] : "", columnWidth);
            var right = Wrap(prompt, i < steered.Count ? steered[i] : "", columnWidth);
            for (var line = 0; line < Math.Max(left.Count, right.Count); line++)
                output.WriteLine($"| {Cell(left, line, columnWidth, ansi)} | {Cell(right, line, columnWidth, ansi)} |");
            output.WriteLine(rule);
        }
    }

    public static void WriteMarkdown(TextWriter output, string prompt, IReadOnlyList<string> unsteered, IReadOnlyList<string> steered)
    {
        output.WriteLine("| Unsteered completions | Steered completions |");
        output.WriteLine("| --- | --- |");
        for (var i = 0; i < Math.Max(unsteered.Count, steered.Count); i++)
        {
            string Md(IReadOnlyList<string> side) => i < side.Count ? $"**{Escape(prompt)}**{Escape(side[i])}" : "";
            output.WriteLine($"| {Md(unsteered)} | {Md(steered)} |");
        }
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\").Replace("|", "\\|").Replace("*", "\\*").Replace("\r", "").Replace("\n", "<br>");

    private static string Cell(List<(string Text, int PromptChars)> lines, int index, int width, bool ansi)
    {
        if (index >= lines.Count) return new string(' ', width);
        var (text, promptChars) = lines[index];
        var padded = TextWidth.PadRight(text, width);
        return ansi && promptChars > 0 ? Bold + padded[..promptChars] + Reset + padded[promptChars..] : padded;
    }

    /// <summary>
    /// Word-wraps prompt + completion into lines of at most <paramref name="width"/> terminal columns; each line knows how
    /// many of its first characters belong to the prompt.
    /// </summary>
    private static List<(string Text, int PromptChars)> Wrap(string prompt, string completion, int width)
    {
        var text = (prompt + completion).Replace("\r", "");
        var lines = new List<(string, int)>();
        var paragraphStart = 0;
        while (true)
        {
            var newline = text.IndexOf('\n', paragraphStart);
            var end = newline < 0 ? text.Length : newline;
            var start = paragraphStart;
            do
            {
                var rest = text[start..end];
                var take = TextWidth.Of(rest) <= width ? rest.Length : BreakAt(rest, width);
                var line = text.Substring(start, take).TrimEnd();
                lines.Add((line, Math.Clamp(prompt.Length - start, 0, line.Length)));
                start += take;
                while (start < end && text[start] == ' ') start++;
            } while (start < end);
            if (newline < 0) return lines;
            paragraphStart = newline + 1;
        }
    }

    /// <summary>Where to end a line of <paramref name="text"/> that is wider than <paramref name="width"/>: after a space, or mid-word if none is near.</summary>
    private static int BreakAt(string text, int width)
    {
        var fits = Math.Max(1, TextWidth.PrefixFitting(text, width));
        var space = text.LastIndexOf(' ', Math.Min(fits, text.Length - 1));
        return space > fits / 3 ? space + 1 : fits;
    }
}
