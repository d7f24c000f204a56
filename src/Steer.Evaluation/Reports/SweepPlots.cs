using System.Globalization;
using Steer.Evaluation.Sweeps;

namespace Steer.Evaluation.Reports;

/// <summary>
/// The sweep's line charts, as in the post: the metric against the layer (one chart per coefficient) and
/// against the coefficient (one chart per layer), one line per topic, with the unsteered baseline.
/// </summary>
public static class SweepPlots
{
    public static IReadOnlyList<ChartFiles> Write(SweepResult result, string directory)
    {
        var charts = new List<ChartFiles>();
        foreach (var coeff in result.Grid.Coeffs)
        {
            var title = $"{result.ValueColumn} by layer, c = {Format(coeff)}";
            var series = result.Topics.Select(topic => Series(result, topic, r => r.Coeff == coeff, r => r.Layer)).ToList();
            var plot = Charts.Lines(title, "layer", result.ValueLabel, series, Baselines(result), integerX: true);
            charts.Add(Charts.Save(plot, title, Path.Combine(directory, $"by-layer-c{Format(coeff)}")));
        }
        foreach (var layer in result.Grid.Layers)
        {
            var title = $"{result.ValueColumn} by coefficient, layer {layer}";
            var series = result.Topics.Select(topic => Series(result, topic, r => r.Layer == layer, r => r.Coeff)).ToList();
            var plot = Charts.Lines(title, "coefficient", result.ValueLabel, series, Baselines(result));
            charts.Add(Charts.Save(plot, title, Path.Combine(directory, $"by-coeff-L{layer}")));
        }
        return charts;
    }

    public static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static ChartSeries Series(SweepResult result, string topic, Func<SweepRow, bool> slice, Func<SweepRow, double> x)
    {
        var rows = result.Rows.Where(r => r.Topic == topic && slice(r)).OrderBy(x).ToList();
        return new ChartSeries(topic, rows.Select(x).ToList(), rows.Select(r => r.Value(result.ValueColumn)).ToList());
    }

    /// <summary>One "unsteered" line when every topic has the same baseline (a ratio's 1), else one per topic.</summary>
    private static IReadOnlyList<ChartBaseline> Baselines(SweepResult result)
    {
        var values = result.Topics.Select(t => result.Baselines[t]).ToList();
        return values.Distinct().Count() == 1
            ? [new ChartBaseline("unsteered", values[0])]
            : result.Topics.Select(t => new ChartBaseline($"{t} unsteered", result.Baselines[t])).ToList();
    }
}
