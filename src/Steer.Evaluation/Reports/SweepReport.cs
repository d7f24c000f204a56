using System.Globalization;
using System.Text;
using Steer.Evaluation.Sweeps;

namespace Steer.Evaluation.Reports;

/// <summary>
/// Everything a sweep writes to its output directory: results.csv, results.json, the line charts (PNG and
/// SVG) and report.html, which shows the settings, one layer × coefficient table per topic and the charts.
/// </summary>
public static class SweepReport
{
    public const string HtmlName = "report.html";

    /// <param name="settings">What was swept and how, as shown in the report.</param>
    /// <param name="jsonSettings">The same, stored in results.json under "settings".</param>
    /// <returns>The files written, relative to <paramref name="directory"/>.</returns>
    public static IReadOnlyList<string> Write(SweepResult result, string directory, IReadOnlyList<(string Key, string Value)> settings,
        object? jsonSettings = null)
    {
        Directory.CreateDirectory(directory);
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(Path.Combine(directory, SweepFiles.CsvName), SweepFiles.Csv(result), utf8);
        var charts = SweepPlots.Write(result, directory);
        Html(result, settings, charts, directory).Save(Path.Combine(directory, HtmlName));
        var files = new List<string> { SweepFiles.CsvName, SweepFiles.JsonName, HtmlName };
        files.AddRange(charts.SelectMany(c => new[] { c.Png, c.Svg }).Select(f => Path.GetRelativePath(directory, f)));
        File.WriteAllText(Path.Combine(directory, SweepFiles.JsonName), SweepFiles.Json(result, jsonSettings, files), utf8);
        return files;
    }

    public static HtmlReport Html(SweepResult result, IReadOnlyList<(string Key, string Value)> settings, IReadOnlyList<ChartFiles> charts,
        string directory)
    {
        var report = new HtmlReport($"Steering sweep: {result.Metric}");
        report.KeyValues([
            .. settings,
            ("layers", string.Join(", ", result.Grid.Layers)),
            ("coefficients", string.Join(", ", result.Grid.Coeffs.Select(SweepPlots.Format))),
            ("measurements", $"{result.Grid.Count} settings × {result.Topics.Count} topic(s)"),
        ]);
        report.Paragraph($"Tables: {result.ValueLabel}. Blue cells are below the unsteered baseline, orange cells above it; the " +
            "stronger the colour, the larger the change. The raw numbers are in results.csv and results.json beside this page.", "note");
        foreach (var topic in result.Topics) Table(report, result, topic);
        report.Heading($"{result.ValueColumn} against the layer");
        report.Figures(charts.Where(c => c.Title.Contains(" by layer", StringComparison.Ordinal)), directory);
        report.Heading($"{result.ValueColumn} against the coefficient");
        report.Figures(charts.Where(c => c.Title.Contains(" by coefficient", StringComparison.Ordinal)), directory);
        return report;
    }

    /// <summary>Layers down, coefficients across, each cell coloured by its distance from the baseline.</summary>
    private static void Table(HtmlReport report, SweepResult result, string topic)
    {
        var baseline = result.Baselines[topic];
        report.Heading($"{topic} (unsteered: {Format(baseline)})", 3);
        var values = result.Grid.Layers.Select(layer => result.Grid.Coeffs.Select(coeff =>
            result.Rows.FirstOrDefault(r => r.Topic == topic && r.Layer == layer && r.Coeff == coeff)?.Value(result.ValueColumn) ?? double.NaN).ToArray()).ToArray();
        var scale = values.SelectMany(v => v).Where(double.IsFinite).Select(v => Math.Abs(v - baseline)).DefaultIfEmpty(0).Max();
        var header = new List<string> { "layer \\ c" };
        header.AddRange(result.Grid.Coeffs.Select(SweepPlots.Format));
        var rows = result.Grid.Layers.Select((layer, i) => (IReadOnlyList<string>)[layer.ToString(CultureInfo.InvariantCulture), .. values[i].Select(Format)]);
        report.Table(header, rows, textColumns: 1, background: (r, c) => c == 0 ? null : Colour(values[r][c - 1] - baseline, scale));
    }

    private static string? Colour(double difference, double scale)
    {
        if (!double.IsFinite(difference) || scale == 0 || difference == 0) return null;
        var alpha = (0.65 * Math.Abs(difference) / scale).ToString("F2", CultureInfo.InvariantCulture);
        return difference < 0 ? $"rgba(49,130,189,{alpha})" : $"rgba(230,85,13,{alpha})";
    }

    private static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
