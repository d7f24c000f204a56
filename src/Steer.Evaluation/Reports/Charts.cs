using ScottPlot;

namespace Steer.Evaluation.Reports;

/// <summary>One line of a chart: points joined in order.</summary>
public sealed record ChartSeries(string Label, IReadOnlyList<double> Xs, IReadOnlyList<double> Ys);

/// <summary>A horizontal reference line, e.g. the unsteered value.</summary>
public sealed record ChartBaseline(string Label, double Y);

/// <summary>A chart written as PNG and SVG beside each other.</summary>
public sealed record ChartFiles(string Title, string Png, string Svg);

/// <summary>
/// Line and scatter charts drawn with ScottPlot and saved as PNG and SVG. Text needs a font on the machine;
/// without one (a bare container) the files are still valid, with lines and no labels.
/// </summary>
public static partial class Charts
{
    public const int Width = 720;
    public const int Height = 440;

    /// <summary>A common sans-serif family when the machine has one (ScottPlot's default falls back to a serif).</summary>
    private static readonly Lazy<string?> SansFont = new(() =>
    {
        var families = SkiaSharp.SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica" }.FirstOrDefault(families.Contains);
    });

    /// <summary>Lines with markers, one colour each; a baseline shares its line's colour when their labels match, else it is grey.</summary>
    /// <param name="logX">A log10 x axis labelled in the values (all x must be positive), e.g. cloze accuracy at K = 1..10,000.</param>
    public static Plot Lines(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series,
        IReadOnlyList<ChartBaseline> baselines, bool integerX = false, bool logX = false)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < series.Count; i++)
        {
            var xs = series[i].Xs.Select(x => logX ? Math.Log10(x) : x).ToArray();
            var line = plot.Add.Scatter(xs, series[i].Ys.ToArray(), palette.GetColor(i));
            line.LegendText = series[i].Label;
            line.LineWidth = 2;
            line.MarkerSize = 6;
        }
        foreach (var baseline in baselines)
        {
            var index = series.ToList().FindIndex(s => baseline.Label.StartsWith(s.Label + " ", StringComparison.Ordinal));
            var rule = plot.Add.HorizontalLine(baseline.Y, 1.5f, index >= 0 ? palette.GetColor(index) : Colors.Gray, LinePattern.Dashed);
            rule.LegendText = baseline.Label;
        }
        if (logX) plot.Axes.Bottom.TickGenerator = LogTicks(series.SelectMany(s => s.Xs).Select(Math.Log10).ToList());
        else if (integerX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        // Below the data area, so the legend never hides a line.
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>
    /// Points on log–log axes (both values must be positive), each labelled, with a reference line at y = 1.
    /// The axes show log10 of the values with ticks labelled in the values themselves.
    /// </summary>
    public static Plot LogLogScatter(string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y, string Label)> points)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        var xs = points.Select(p => Math.Log10(p.X)).ToArray();
        var ys = points.Select(p => Math.Log10(p.Y)).ToArray();
        var markers = plot.Add.ScatterPoints(xs, ys, Colors.SteelBlue);
        markers.MarkerSize = 7;
        for (var i = 0; i < points.Count; i++)
        {
            var label = plot.Add.Text(points[i].Label, xs[i], ys[i]);
            label.LabelFontSize = 11;
            label.LabelFontColor = Colors.Black;
            label.LabelOffsetX = 5;
        }
        plot.Add.HorizontalLine(0, 1, Colors.Gray, LinePattern.Dashed);
        plot.Axes.Bottom.TickGenerator = LogTicks(xs);
        plot.Axes.Left.TickGenerator = LogTicks([.. ys, 0]);
        return plot;
    }

    /// <summary>
    /// Ticks for an axis that shows log10 of its values, labelled with the values: 1-2-5 steps per decade, or
    /// every 1..9 × 10^k when the data spans too little of a decade for three of those.
    /// </summary>
    private static ScottPlot.TickGenerators.NumericManual LogTicks(IReadOnlyList<double> logValues)
    {
        var (low, high) = (logValues.Min() - 0.05, logValues.Max() + 0.05);
        double[] Candidates(params int[] mantissas) => Enumerable.Range((int)Math.Floor(low), (int)Math.Ceiling(high) - (int)Math.Floor(low) + 1)
            .SelectMany(k => mantissas.Select(m => Math.Log10(m * Math.Pow(10, k)))).Where(v => v >= low && v <= high).ToArray();
        var ticks = Candidates(1, 2, 5);
        if (ticks.Length < 3) ticks = Candidates(1, 2, 3, 4, 5, 6, 7, 8, 9);
        var generator = new ScottPlot.TickGenerators.NumericManual();
        foreach (var tick in ticks)
        {
            var value = Math.Pow(10, tick);
            // "5,000" rather than G3's "5E+03"; fractions and huge values stay in G3.
            generator.AddMajor(tick, value.ToString(value >= 1000 && value < 1e7 ? "N0" : "G3", System.Globalization.CultureInfo.InvariantCulture));
        }
        return generator;
    }

    /// <summary>Writes <c>path.png</c> and <c>path.svg</c> (path without extension).</summary>
    public static ChartFiles Save(Plot plot, string title, string pathWithoutExtension)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(pathWithoutExtension))!;
        Directory.CreateDirectory(directory);
        var png = pathWithoutExtension + ".png";
        var svg = pathWithoutExtension + ".svg";
        plot.SavePng(png, Width, Height);
        SaveSvg(plot, svg);
        return new ChartFiles(title, png, svg);
    }

    /// <summary>
    /// ScottPlot numbers the SVG's clip paths from a counter that lives as long as the process, so the same chart
    /// drawn twice gets other ids; they are renumbered in order of appearance, so that a chart's file depends on
    /// the chart alone (merged sweep shards write the bytes one process writes).
    /// </summary>
    private static void SaveSvg(Plot plot, string path)
    {
        plot.SaveSvg(path, Width, Height);
        var ids = new Dictionary<string, string>();
        var xml = ClipPathId().Replace(File.ReadAllText(path), m =>
        {
            if (!ids.TryGetValue(m.Value, out var id)) ids[m.Value] = id = $"cl_{ids.Count}";
            return id;
        });
        File.WriteAllText(path, xml, new System.Text.UTF8Encoding(false));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\bcl_[0-9a-f]+\b")]
    private static partial System.Text.RegularExpressions.Regex ClipPathId();

    /// <summary>Writes one file whose format follows its extension: .png or .svg.</summary>
    public static void SaveAs(Plot plot, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".png": plot.SavePng(path, Width, Height); break;
            case ".svg": SaveSvg(plot, path); break;
            default: throw new SteerException(ErrorKind.InvalidArgument, $"{path}: a plot is written as .png or .svg");
        }
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        if (SansFont.Value is { } font) plot.Font.Set(font);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }
}
