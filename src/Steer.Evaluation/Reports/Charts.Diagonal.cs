using ScottPlot;

namespace Steer.Evaluation.Reports;

public static partial class Charts
{
    /// <summary>
    /// Points against the line y = x on axes of the same range from 0 (the post's KL stress test: control on x,
    /// steering on y, so a point below the line is a prompt the steering moves less than the control does).
    /// Values must not be negative.
    /// </summary>
    public static Plot ScatterWithDiagonal(string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y)> points)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var top = finite.Count == 0 ? 1 : Math.Max(finite.Max(p => Math.Max(p.X, p.Y)), 1e-12) * 1.05;
        var diagonal = plot.Add.Line(0, 0, top, top);
        // Solid: Skia's SVG backend cannot draw a dash pattern on a line and says so on stdout.
        diagonal.LineColor = Colors.Gray;
        diagonal.LegendText = "y = x";
        var markers = plot.Add.ScatterPoints(finite.Select(p => p.X).ToArray(), finite.Select(p => p.Y).ToArray(), Colors.SteelBlue);
        markers.MarkerSize = 7;
        plot.Axes.SetLimits(0, top, 0, top);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }
}
