using Steer.Steering;

namespace Steer.Evaluation.Sweeps;

/// <summary>What a metric measured for one topic with one vector; <see cref="ISweepMetric.Columns"/> name the values.</summary>
public sealed record SweepMeasurement(string Topic, IReadOnlyDictionary<string, object> Values);

/// <summary>A metric a sweep can measure at every layer and coefficient.</summary>
public interface ISweepMetric
{
    /// <summary>perplexity, kl or wordcount.</summary>
    string Name { get; }

    /// <summary>The column that plots show, e.g. "ratio".</summary>
    string ValueColumn { get; }

    /// <summary>An axis label for <see cref="ValueColumn"/>.</summary>
    string ValueLabel { get; }

    /// <summary>Every value column, in the order of the CSV file (after layer, coeff and topic).</summary>
    IReadOnlyList<string> Columns { get; }

    IReadOnlyList<string> Topics { get; }

    /// <summary>The value of <see cref="ValueColumn"/> without steering, per topic (1 for a perplexity ratio).</summary>
    IReadOnlyDictionary<string, double> Baseline();

    IReadOnlyList<SweepMeasurement> Measure(SteeringVector vector, SteeringOptions options);

    /// <summary>
    /// What measuring one cell at <paramref name="layer"/> costs relative to the other layers' cells, in any unit:
    /// shards take runs of cells of about equal total cost. Every cell the same by default.
    /// </summary>
    double CellCost(int layer) => 1;
}
