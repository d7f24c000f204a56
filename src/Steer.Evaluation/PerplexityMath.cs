namespace Steer.Evaluation;

/// <summary>
/// Token-weighted log-prob sums of one topic, unsteered and steered over the same target tokens, and the
/// perplexities they give. The ratio is exp(−Σ(logp_steered − logp_unsteered) / N), as the post's code sums it
/// at HEAD (the code at the post's date averaged per-sentence means instead).
/// </summary>
public sealed class PerplexityTotals
{
    public int Tokens { get; private set; }

    public double SumUnsteered { get; private set; }

    public double SumSteered { get; private set; }

    /// <summary>Σ(logp_steered − logp_unsteered), summed term by term so that identical runs give exactly 0.</summary>
    public double SumDifference { get; private set; }

    public void Add(double unsteered, double steered)
    {
        Tokens++;
        SumUnsteered += unsteered;
        SumSteered += steered;
        SumDifference += steered - unsteered;
    }

    public PerplexitySums Sums => new(Tokens, SumUnsteered, SumSteered, SumDifference);

    public double PerplexityUnsteered => Sums.PerplexityUnsteered;

    public double PerplexitySteered => Sums.PerplexitySteered;

    /// <summary>Steered over unsteered perplexity: below 1 when steering makes the text more likely.</summary>
    public double Ratio => Sums.Ratio;
}

/// <summary>A topic's token count and log-prob sums (see <see cref="PerplexityTotals"/>), which add across shards of its sentences.</summary>
public readonly record struct PerplexitySums(int Tokens, double Unsteered, double Steered, double Difference)
{
    public double PerplexityUnsteered => Tokens == 0 ? double.NaN : Math.Exp(-Unsteered / Tokens);

    public double PerplexitySteered => Tokens == 0 ? double.NaN : Math.Exp(-Steered / Tokens);

    public double Ratio => Tokens == 0 ? double.NaN : Math.Exp(-Difference / Tokens);

    public static PerplexitySums operator +(PerplexitySums a, PerplexitySums b) =>
        new(a.Tokens + b.Tokens, a.Unsteered + b.Unsteered, a.Steered + b.Steered, a.Difference + b.Difference);
}

/// <summary>Which predictions of a sentence are compared, in each run's own positions.</summary>
public static class PerplexityMask
{
    /// <summary>
    /// The first text token (counting BOS as 0) whose prediction is kept. Text token k sits at position
    /// k + <paramref name="offset"/> of the steered run (offset = tokens inserted after BOS), so it is predicted
    /// from position k + offset − 1; predictions from positions below <paramref name="mask"/> are dropped.
    /// Both runs then score the same text tokens, so the ratio compares like with like.
    /// </summary>
    public static int FirstScoredToken(int mask, int offset) => Math.Max(1, mask - offset + 1);

    /// <summary>
    /// Adds the kept predictions of one sentence of <paramref name="textTokens"/> tokens after BOS:
    /// <paramref name="unsteered"/> scores [BOS, text] and <paramref name="steered"/> scores
    /// [BOS, <paramref name="offset"/> inserted tokens, text]. Returns how many tokens were added.
    /// </summary>
    public static int Accumulate(PerplexityTotals totals, IReadOnlyList<double> unsteered, IReadOnlyList<double> steered,
        int textTokens, int mask, int offset)
    {
        var added = 0;
        for (var k = FirstScoredToken(mask, offset); k <= textTokens; k++, added++)
            totals.Add(unsteered[k - 1], steered[k + offset - 1]);
        return added;
    }
}
