namespace Steer.Evaluation;

/// <summary>One token's probability without and with steering.</summary>
public sealed record TokenShift(int Id, string Text, double PUnsteered, double PSteered)
{
    /// <summary>p_steered / p_unsteered: above 1 when steering makes the token more likely.</summary>
    public double Ratio => PSteered / PUnsteered;

    /// <summary>This token's term of KL(steered‖unsteered): p_s·log(p_s/p_n) nats (0 when p_s is 0).</summary>
    public double KlContribution => DistributionShift.Contribution(PSteered, PUnsteered);
}

/// <summary>
/// How steering shifts a next-token distribution: KL(steered‖unsteered), the tokens that contribute most to it
/// (the post's " wedding" 0.781-nats table), and the tokens whose probability changes most among the union of
/// each distribution's top tokens (the post's log–log plot).
/// </summary>
public sealed record DistributionShift(double Kl, IReadOnlyList<TokenShift> TopContributors, IReadOnlyList<TokenShift> TopByRatio,
    IReadOnlyList<TokenShift> TopTokens)
{
    /// <summary>p_s·log(p_s/p_n), the per-token term of KL(P_s‖P_n); 0 when p_s is 0, +∞ when only p_n is 0.</summary>
    public static double Contribution(double pSteered, double pUnsteered) =>
        pSteered == 0 ? 0 : pUnsteered == 0 ? double.PositiveInfinity : pSteered * Math.Log(pSteered / pUnsteered);

    /// <summary>
    /// Compares two distributions over the same vocabulary given as log-probabilities (more precise than
    /// probabilities for tiny values). <paramref name="topK"/> bounds each list; <see cref="TopTokens"/> is the
    /// union of each distribution's top-k by probability, which <see cref="TopByRatio"/> sorts by ratio.
    /// </summary>
    public static DistributionShift Compare(IReadOnlyList<double> logpUnsteered, IReadOnlyList<double> logpSteered, int topK,
        Func<int, string> tokenText)
    {
        if (logpUnsteered.Count != logpSteered.Count)
            throw new ArgumentException($"distributions of {logpUnsteered.Count} and {logpSteered.Count} tokens");
        if (topK < 1) throw new SteerException(ErrorKind.InvalidArgument, $"top-k must be at least 1, got {topK}");
        var vocab = logpUnsteered.Count;
        var terms = new double[vocab];
        var kl = 0.0;
        for (var i = 0; i < vocab; i++)
        {
            var ps = Math.Exp(logpSteered[i]);
            terms[i] = ps == 0 ? 0 : ps * (logpSteered[i] - logpUnsteered[i]);
            kl += terms[i];
        }
        TokenShift Shift(int id) => new(id, tokenText(id), Math.Exp(logpUnsteered[id]), Math.Exp(logpSteered[id]));
        var contributors = Top(vocab, topK, i => terms[i]).Select(Shift).ToList();
        var union = Top(vocab, topK, i => logpUnsteered[i]).Union(Top(vocab, topK, i => logpSteered[i])).Select(Shift).ToList();
        var byRatio = union.OrderByDescending(s => s.Ratio).ThenBy(s => s.Id).Take(topK).ToList();
        return new DistributionShift(kl, contributors, byRatio, union);
    }

    /// <summary>The k indices with the largest keys, largest first (lowest index on ties).</summary>
    private static IEnumerable<int> Top(int count, int k, Func<int, double> key) =>
        Enumerable.Range(0, count).OrderByDescending(key).ThenBy(i => i).Take(k);
}
