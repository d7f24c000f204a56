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
public static class Charts
{
    public const int Width = 720;
    public const int Height = 440;

    /// <summary>Lines with markers, one colour each; a baseline shares its line's colour when their labels match, else it is grey.</summary>
    public static Plot Lines(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series,
        IReadOnlyList<ChartBaseline> baselines, bool integerX = false)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < series.Count; i++)
        {
            var line = plot.Add.Scatter(series[i].Xs.ToArray(), series[i].Ys.ToArray(), palette.GetColor(i));
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
        if (integerX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Alignment.UpperRight);
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
        foreach (var axis in new ScottPlot.IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                IntegerTicksOnly = true,
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            };
        return plot;
    }

    /// <summary>Writes <c>path.png</c> and <c>path.svg</c> (path without extension).</summary>
    public static ChartFiles Save(Plot plot, string title, string pathWithoutExtension)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(pathWithoutExtension))!;
        Directory.CreateDirectory(directory);
        var png = pathWithoutExtension + ".png";
        var svg = pathWithoutExtension + ".svg";
        plot.SavePng(png, Width, Height);
        plot.SaveSvg(svg, Width, Height);
        return new ChartFiles(title, png, svg);
    }

    /// <summary>Writes one file whose format follows its extension: .png or .svg.</summary>
    public static void SaveAs(Plot plot, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".png": plot.SavePng(path, Width, Height); break;
            case ".svg": plot.SaveSvg(path, Width, Height); break;
            default: throw new SteerException(ErrorKind.InvalidArgument, $"{path}: a plot is written as .png or .svg");
        }
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }
}
