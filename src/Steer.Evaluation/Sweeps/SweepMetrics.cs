using Steer.Steering;

namespace Steer.Evaluation.Sweeps;

/// <summary>Perplexity ratio (steered / unsteered) per topic; the baseline is 1. Disposing it disposes the evaluation.</summary>
public sealed class PerplexitySweepMetric(PerplexityEvaluation evaluation) : ISweepMetric, IDisposable
{
    public void Dispose() => evaluation.Dispose();

    /// <summary>
    /// In blocks run: in overlay mode a steered pass starts at the vector's block (the unsteered pass keeps every
    /// block's input), so a cell at layer L runs the blocks from L on and the unembedding, which costs vocabulary ×
    /// width / (parameters per block) blocks; the other modes run every block. Measured on the gpt2-shaped formula
    /// model, 24 cells (layers 0..11, 2 coefficients) over 4 shards: the slowest shard took 1.16x the fastest
    /// (17.7-20.5 s), where a cost growing with the layer gave 2.5x (22-56 s).
    /// </summary>
    public double CellCost(int layer) => evaluation.SteeredPassCost(layer);

    public string Name => "perplexity";
    public string ValueColumn => "ratio";
    public string ValueLabel => "perplexity ratio (steered / unsteered)";
    public IReadOnlyList<string> Columns { get; } = ["sentences", "tokens", "perplexity_unsteered", "perplexity_steered", "ratio"];
    public IReadOnlyList<string> Topics => evaluation.Topics;

    public IReadOnlyDictionary<string, double> Baseline() => Topics.ToDictionary(t => t, _ => 1.0);

    public IReadOnlyList<SweepMeasurement> Measure(SteeringVector vector, SteeringOptions options) =>
        evaluation.Measure(vector, options).Select(t => new SweepMeasurement(t.Name, new Dictionary<string, object>
        {
            ["sentences"] = t.Sentences,
            ["tokens"] = t.Tokens,
            ["perplexity_unsteered"] = t.PerplexityUnsteered,
            ["perplexity_steered"] = t.PerplexitySteered,
            ["ratio"] = t.Ratio,
        })).ToList();
}

/// <summary>KL(steered‖unsteered) of the next-token distribution at one position of a prompt; the baseline is 0.</summary>
public sealed class KlSweepMetric(LanguageModel model, IReadOnlyList<int> promptIds, string topic, int? position = null) : ISweepMetric
{
    public string Name => "kl";
    public string ValueColumn => "kl";
    public string ValueLabel => "KL(steered ‖ unsteered), nats";
    public IReadOnlyList<string> Columns { get; } = ["position", "kl", "top_token", "top_contribution"];
    public IReadOnlyList<string> Topics { get; } = [topic];

    public IReadOnlyDictionary<string, double> Baseline() => Topics.ToDictionary(t => t, _ => 0.0);

    /// <summary>The steered pass runs every block and building the vector at layer L runs blocks 0..L−1.</summary>
    public double CellCost(int layer) => model.Shape.Layers + layer;

    public IReadOnlyList<SweepMeasurement> Measure(SteeringVector vector, SteeringOptions options)
    {
        var (used, shift) = NextTokenShift.Measure(model, promptIds, vector, options, position, topK: 1);
        return [new SweepMeasurement(Topics[0], new Dictionary<string, object>
        {
            ["position"] = used,
            ["kl"] = shift.Kl,
            ["top_token"] = shift.TopContributors[0].Text,
            ["top_contribution"] = shift.TopContributors[0].KlContribution,
        })];
    }
}

/// <summary>
/// Mean count of the listed words in steered completions; the baseline is the unsteered mean count. Generating the
/// completions costs the same at every layer, so cells cost the same (<see cref="ISweepMetric.CellCost"/>'s default).
/// </summary>
public sealed class WordCountSweepMetric(WordCountEvaluation evaluation, string topic) : ISweepMetric
{
    public string Name => "wordcount";
    public string ValueColumn => "mean_count";
    public string ValueLabel => "listed words per completion";
    public IReadOnlyList<string> Columns { get; } = ["completions", "mean_count", "fraction_with_any", "mean_count_unsteered", "fraction_with_any_unsteered"];
    public IReadOnlyList<string> Topics { get; } = [topic];

    public IReadOnlyDictionary<string, double> Baseline() => Topics.ToDictionary(t => t, _ => evaluation.Baseline().Summary.MeanCount);

    public IReadOnlyList<SweepMeasurement> Measure(SteeringVector vector, SteeringOptions options)
    {
        var unsteered = evaluation.Baseline().Summary;
        var steered = evaluation.Measure(vector, options).Summary;
        return [new SweepMeasurement(Topics[0], new Dictionary<string, object>
        {
            ["completions"] = steered.Completions,
            ["mean_count"] = steered.MeanCount,
            ["fraction_with_any"] = steered.FractionWithAny,
            ["mean_count_unsteered"] = unsteered.MeanCount,
            ["fraction_with_any_unsteered"] = unsteered.FractionWithAny,
        })];
    }
}
