using Steer.Steering;

namespace Steer.Evaluation;

/// <summary>
/// One token of a text: its log-probability given the tokens before it, without and with steering.
/// <paramref name="Masked"/> marks predictions made from positions the vector modifies directly, whose
/// distributions the post warns are unreliable.
/// </summary>
public sealed record TokenDifference(int Position, int Id, string Text, double LogpUnsteered, double LogpSteered, bool Masked)
{
    /// <summary>logp_steered − logp_unsteered: positive when steering makes the token more likely.</summary>
    public double Difference => LogpSteered - LogpUnsteered;
}

/// <summary>The per-token view of steering (the post's token-level visualisation).</summary>
public static class TokenDifferences
{
    /// <param name="ids">The text with BOS; every token after the first is scored.</param>
    /// <param name="mask">Predictions from positions below it are marked masked; null is the vector's position count.</param>
    public static IReadOnlyList<TokenDifference> Measure(LanguageModel model, IReadOnlyList<int> ids, SteeringVector vector,
        SteeringOptions? options = null, int? mask = null)
    {
        options ??= new SteeringOptions();
        var unsteered = model.Score(ids).TokenLogprobs;
        var steered = model.Score(ids, vector, options).TokenLogprobs;
        // The short-prompt policy may have inserted pads after BOS: the text's tokens come that much later.
        var offset = steered.Count - unsteered.Count;
        var n = mask ?? vector.Positions;
        return Enumerable.Range(1, ids.Count - 1)
            .Select(k => new TokenDifference(k, ids[k], model.Tokenizer.TokenText(ids[k]), unsteered[k - 1], steered[k + offset - 1],
                Masked: k < PerplexityMask.FirstScoredToken(n, offset)))
            .ToList();
    }
}
