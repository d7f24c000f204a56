using System.Globalization;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// One format per column of numbers: commands format each value on its own ("G5" gives 12.346, 0.5 and 3.1641E+06
/// in one column), and this makes the column read as one. Every cell keeps the most significant digits any cell
/// had; the column is fixed-point with the most decimals any cell had when every value is in [1e-4, 1e7), else
/// scientific for all (<c>3.164e+06</c>). Cells that are not numbers (a word, "nan", "") are left as they are.
/// </summary>
internal static class NumberColumn
{
    private const NumberStyles Style = NumberStyles.Float;

    public static IReadOnlyList<string> Normalize(IReadOnlyList<string> cells)
    {
        var numbers = cells.Select(c => double.TryParse(c, Style, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : (double?)null).ToList();
        var present = Enumerable.Range(0, cells.Count).Where(i => numbers[i] is not null).ToList();
        if (present.Count == 0) return cells;
        var scientific = present.Any(i => cells[i].Contains('E', StringComparison.OrdinalIgnoreCase))
            || present.Any(i => numbers[i]!.Value != 0 && (Math.Abs(numbers[i]!.Value) < 1e-4 || Math.Abs(numbers[i]!.Value) >= 1e7));
        if (!scientific && present.All(i => !cells[i].Contains('.', StringComparison.Ordinal))) return cells;   // whole numbers
        var format = scientific
            ? "0." + new string('0', Math.Max(0, present.Max(i => SignificantDigits(cells[i])) - 1)) + "e+00"
            : "F" + present.Max(i => Decimals(cells[i])).ToString(CultureInfo.InvariantCulture);
        return cells.Select((c, i) => numbers[i] is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : c).ToList();
    }

    private static int Decimals(string cell)
    {
        var dot = cell.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? 0 : cell.Length - dot - 1;
    }

    private static int SignificantDigits(string cell)
    {
        var mantissa = cell.Split('E', 'e')[0];
        var digits = mantissa.Where(char.IsAsciiDigit).SkipWhile(d => d == '0').Count();
        return Math.Clamp(digits, 1, 6);
    }
}
