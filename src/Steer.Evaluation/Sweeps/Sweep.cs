using System.Diagnostics;
using Steer.Steering;

namespace Steer.Evaluation.Sweeps;

/// <summary>One row of a sweep's results: a layer, a coefficient, a topic and the metric's values.</summary>
public sealed record SweepRow(int Layer, double Coeff, string Topic, IReadOnlyDictionary<string, object> Values)
{
    public double Value(string column) => Convert.ToDouble(Values[column], System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Everything a sweep measured, in layer-major order (every coefficient of layer A, then of A + 1, ...): every cell of
/// <see cref="Grid"/>, or a shard's cells only.
/// </summary>
/// <param name="Elapsed">Time spent measuring (for merged shards, the sum of theirs); not written to the result files, so
/// that a sweep's files depend on its inputs only.</param>
public sealed record SweepResult(string Metric, string ValueColumn, string ValueLabel, IReadOnlyList<string> Columns, SweepGrid Grid,
    IReadOnlyList<string> Topics, IReadOnlyDictionary<string, double> Baselines, IReadOnlyList<SweepRow> Rows, TimeSpan Elapsed);

/// <summary>How far a sweep has got. Step 0 is the unsteered baseline; then one step per layer × coefficient.</summary>
public sealed record SweepProgress(int Done, int Total, int? Layer, double? Coeff, TimeSpan Elapsed)
{
    /// <summary>
    /// Elapsed time per step so far times the steps left; null until a steered step has ended, since the unsteered
    /// baseline alone (no vector to build, one pass fewer) says little about what a steered step costs.
    /// </summary>
    public TimeSpan? Remaining => Done <= 1 ? null : Elapsed / Done * (Total - Done);
}

/// <summary>
/// Measures a metric at every layer × coefficient. The vector is built once per layer at coefficient 1 and
/// scaled for each coefficient (vectors are values: v · c), so a sweep costs one vector per layer.
/// </summary>
public static class Sweep
{
    /// <param name="unitVectorAt">The steering vector at coefficient 1 with its additions at a layer.</param>
    /// <param name="cells">The cells to measure, in grid order (a shard's, from <see cref="SweepGrid.CellsOf"/>); all when null.</param>
    public static SweepResult Run(ISweepMetric metric, SweepGrid grid, Func<int, SteeringVector> unitVectorAt,
        SteeringOptions? options = null, IProgress<SweepProgress>? progress = null, IReadOnlyList<(int Layer, double Coeff)>? cells = null)
    {
        if (grid.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "the sweep has no layers or no coefficients");
        options ??= new SteeringOptions();
        cells ??= grid.Cells;
        var clock = Stopwatch.StartNew();
        var total = cells.Count + 1;
        var baselines = metric.Baseline();
        progress?.Report(new SweepProgress(1, total, null, null, clock.Elapsed));
        var rows = new List<SweepRow>();
        var done = 1;
        foreach (var layerCells in cells.GroupBy(c => c.Layer))
        {
            var unit = unitVectorAt(layerCells.Key);
            foreach (var (layer, coeff) in layerCells)
            {
                foreach (var measurement in metric.Measure(unit * coeff, options))
                    rows.Add(new SweepRow(layer, coeff, measurement.Topic, measurement.Values));
                progress?.Report(new SweepProgress(++done, total, layer, coeff, clock.Elapsed));
            }
        }
        return new SweepResult(metric.Name, metric.ValueColumn, metric.ValueLabel, metric.Columns, grid, metric.Topics, baselines, rows, clock.Elapsed);
    }
}
