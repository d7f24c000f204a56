namespace Steer.Evaluation;

/// <summary>
/// One prompt of the KL stress test: over its positions ≥ the first measured one, the mean of KL(unsteered‖steered),
/// of KL(unsteered‖control) and of the unsteered distributions' entropy, in nats.
/// </summary>
/// <param name="Index">The prompt's index in the whole prompt list (from 0).</param>
/// <param name="Tokens">The prompt's tokens, BOS included.</param>
/// <param name="Positions">How many next-token distributions were compared.</param>
public sealed record KlStressRow(int Index, string Prompt, int Tokens, int Positions, double KlSteered, double KlControl, double Entropy)
{
    /// <summary>The post's number: mean KL(unsteered‖steered) / mean H(unsteered).</summary>
    public double NormalisedSteered => KlSteered / Entropy;

    /// <summary>Mean KL(unsteered‖control) / mean H(unsteered).</summary>
    public double NormalisedControl => KlControl / Entropy;
}

/// <summary>A prompt that was not measured, and why (too short, or shorter than the vector under --short-prompt error).</summary>
public sealed record KlStressSkip(int Index, string Prompt, int Tokens, string Reason);

/// <summary>The normalised KLs summarised over the measured prompts.</summary>
/// <param name="SteeredBelowControl">The prompts whose steered KL is strictly below the control's.</param>
public sealed record KlStressSummary(int Prompts, int Skipped, double MeanSteered, double MedianSteered, double MeanControl,
    double MedianControl, int SteeredBelowControl)
{
    /// <summary>The share of prompts that the steering moves less than the control does.</summary>
    public double ShareSteeredBelowControl => (double)SteeredBelowControl / Prompts;

    /// <returns>null when no prompt was measured.</returns>
    public static KlStressSummary? Of(IReadOnlyList<KlStressRow> rows, int skipped)
    {
        if (rows.Count == 0) return null;
        var steered = rows.Select(r => r.NormalisedSteered).ToList();
        var control = rows.Select(r => r.NormalisedControl).ToList();
        var below = rows.Count(r => r.NormalisedSteered < r.NormalisedControl);
        return new KlStressSummary(rows.Count, skipped, steered.Average(), Median(steered), control.Average(), Median(control), below);
    }

    /// <summary>The middle value, or the mean of the two middle ones.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("the median of no values", nameof(values));
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>What the KL stress test measured: a row per measured prompt and the skipped prompts, both in prompt order.</summary>
public sealed record KlStressResult(IReadOnlyList<KlStressRow> Rows, IReadOnlyList<KlStressSkip> Skipped)
{
    public KlStressSummary? Summary => KlStressSummary.Of(Rows, Skipped.Count);

    /// <summary>The parts of shards of one prompt list, in shard order: their rows and skips concatenated.</summary>
    public static KlStressResult Combine(IReadOnlyList<KlStressResult> parts) =>
        new(parts.SelectMany(p => p.Rows).ToList(), parts.SelectMany(p => p.Skipped).ToList());
}
