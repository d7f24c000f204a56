using Steer.Steering;

namespace Steer.Evaluation.Sweeps;

/// <summary>Which of <see cref="SteeringEffect"/>'s two values a sweep plots.</summary>
public enum SteeringEffectValue
{
    Effectiveness,
    Disruption,
}

/// <summary>
/// Effectiveness or disruption (<see cref="SteeringEffect"/>) of a prompt, the mean over its unmasked positions (or at one
/// position); the baseline is 0 for both. Both values are written either way, so one sweep's CSV holds the pair.
/// </summary>
public sealed class SteeringEffectSweepMetric(LanguageModel model, IReadOnlyList<int> promptIds, AlignedTokens aligned, string topic,
    SteeringEffectValue value, SteeringEffectOptions? effect = null) : ISweepMetric
{
    public string Name => value == SteeringEffectValue.Effectiveness ? "effectiveness" : "disruption";
    public string ValueColumn => Name;
    public string ValueLabel => value == SteeringEffectValue.Effectiveness
        ? "effectiveness: log P(aligned) steered − unsteered, nats"
        : "disruption: within-set KL(steered ‖ unsteered), nats";
    public IReadOnlyList<string> Columns { get; } = ["positions", "effectiveness", "disruption"];
    public IReadOnlyList<string> Topics { get; } = [topic];

    public IReadOnlyDictionary<string, double> Baseline() => Topics.ToDictionary(t => t, _ => 0.0);

    /// <summary>As <see cref="KlSweepMetric"/>: the steered pass runs every block and building the vector at layer L runs blocks 0..L−1.</summary>
    public double CellCost(int layer) => model.Shape.Layers + layer;

    public IReadOnlyList<SweepMeasurement> Measure(SteeringVector vector, SteeringOptions options)
    {
        var result = SteeringEffect.Measure(model, promptIds, vector, aligned, options, effect);
        if (result.MeanEffectiveness is not { } effectiveness || result.MeanDisruption is not { } disruption)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"every measured position of the prompt is masked (the vector spans {result.VectorRows} positions); " +
                "use a longer prompt or another position, or count masked positions too (--all-positions)");
        return [new SweepMeasurement(Topics[0], new Dictionary<string, object>
        {
            ["positions"] = result.Unmasked,
            ["effectiveness"] = effectiveness,
            ["disruption"] = disruption,
        })];
    }
}
