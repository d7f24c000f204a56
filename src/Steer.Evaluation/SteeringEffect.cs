using Steer.Steering;
using static TorchSharp.torch;

namespace Steer.Evaluation;

/// <summary>
/// Effectiveness and disruption of one next-token distribution (the original library's <c>logits.py</c>), all in nats:
/// <see cref="Effectiveness"/> = log P_steered(T_A) − log P_unsteered(T_A); <see cref="Disruption"/> = the KL of the
/// steered from the unsteered distribution within T_A and within the other tokens, each renormalised to its set,
/// weighted by the steered probability of the set.
/// </summary>
public sealed record EffectValues(double LogPAlignedUnsteered, double LogPAlignedSteered, double Effectiveness, double Disruption);

/// <summary>The effect at one prompt position: on the distribution of the token after it.</summary>
/// <param name="Position">Index into the prompt (BOS is 0).</param>
/// <param name="Id">The prompt's token at <paramref name="Position"/>.</param>
/// <param name="Masked">The vector is added at this position itself, so the post distrusts its distribution; left out of the means.</param>
public sealed record PositionEffect(int Position, int Id, string Text, EffectValues Values, bool Masked);

/// <param name="VectorRows">Positions the vector spans at the front (0 for a vector added at every position).</param>
/// <param name="MeanEffectiveness">The mean over the unmasked positions reported; null when every one is masked.</param>
public sealed record SteeringEffectResult(IReadOnlyList<PositionEffect> Positions, int VectorRows, double? MeanEffectiveness, double? MeanDisruption)
{
    public int Unmasked => Positions.Count(p => !p.Masked);
}

/// <summary>Which prompt positions <see cref="SteeringEffect.Measure"/> reports.</summary>
/// <param name="AtPosition">One position (negative counts from the end); null is every position.</param>
/// <param name="IncludeMasked">Count the positions the vector is added at as unmasked (the original's mode "all").</param>
public sealed record SteeringEffectOptions(int? AtPosition = null, bool IncludeMasked = false);

/// <summary>How much steering moves probability onto an aligned token set, and how much it disturbs everything else.</summary>
public static class SteeringEffect
{
    public static SteeringEffectResult Measure(LanguageModel model, IReadOnlyList<int> ids, SteeringVector vector, AlignedTokens aligned,
        SteeringOptions? options = null, SteeringEffectOptions? effect = null)
    {
        options ??= new SteeringOptions();
        effect ??= new SteeringEffectOptions();
        if (ids.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "the prompt has no tokens");
        var positions = Selected(ids.Count, effect.AtPosition);
        var steeredIds = model.PrepareForSteering(ids, vector, options);
        // The short-prompt policy may insert pads after BOS; every later token moves by as many positions.
        var offset = steeredIds.Count - ids.Count;
        var rows = FrontRows(vector, options);
        var (injectedStart, injectedCount) = InjectedRange(rows, steeredIds.Count, options.Location);
        var steeredPositions = positions.Select(i => i == 0 ? 0 : i + offset).ToList();
        using var scope = NewDisposeScope();
        var unsteered = LogProbabilities(model, ids, positions);                      // [reported, vocab]
        Tensor steered;
        using (model.AddSteering(vector, options))
            steered = LogProbabilities(model, steeredIds, steeredPositions);          // [reported, vocab]
        var vocab = (int)unsteered.shape[1];
        var mask = aligned.Mask(vocab);
        var unsteeredValues = unsteered.data<double>().ToArray();
        var steeredValues = steered.data<double>().ToArray();
        var results = positions.Select((i, row) =>
        {
            var values = Compare(unsteeredValues.AsSpan(row * vocab, vocab), steeredValues.AsSpan(row * vocab, vocab), mask);
            var s = steeredPositions[row];
            var masked = !effect.IncludeMasked && s >= injectedStart && s < injectedStart + injectedCount;
            return new PositionEffect(i, ids[i], model.Tokenizer.TokenText(ids[i]), values, masked);
        }).ToList();
        var kept = results.Where(r => !r.Masked).ToList();
        return new SteeringEffectResult(results, rows,
            kept.Count == 0 ? null : kept.Average(r => r.Values.Effectiveness),
            kept.Count == 0 ? null : kept.Average(r => r.Values.Disruption));
    }

    /// <summary>
    /// Effectiveness and disruption between two distributions over one vocabulary, given as log-probabilities;
    /// <paramref name="aligned"/>[t] says whether token t is in T_A. A set the steered distribution gives no
    /// probability contributes 0 (0 · KL = 0), so an aligned set that is the whole vocabulary has disruption within it only.
    /// </summary>
    public static EffectValues Compare(ReadOnlySpan<double> logpUnsteered, ReadOnlySpan<double> logpSteered, ReadOnlySpan<bool> aligned)
    {
        if (logpUnsteered.Length != logpSteered.Length || aligned.Length != logpSteered.Length)
            throw new ArgumentException($"distributions of {logpUnsteered.Length} and {logpSteered.Length} tokens with {aligned.Length} set flags");
        var (inUnsteered, inSteered) = (LogSum(logpUnsteered, aligned, true), LogSum(logpSteered, aligned, true));
        var (outUnsteered, outSteered) = (LogSum(logpUnsteered, aligned, false), LogSum(logpSteered, aligned, false));
        // Equal sums (both −∞ included) are no change, rather than −∞ − −∞ = NaN.
        var effectiveness = inSteered == inUnsteered ? 0 : inSteered - inUnsteered;
        var disruption = WeightedWithinSetKl(logpUnsteered, logpSteered, aligned, true, inUnsteered, inSteered)
            + WeightedWithinSetKl(logpUnsteered, logpSteered, aligned, false, outUnsteered, outSteered);
        return new EffectValues(inUnsteered, inSteered, effectiveness, disruption);
    }

    private static List<int> Selected(int count, int? at)
    {
        if (at is not { } position) return Enumerable.Range(0, count).ToList();
        var index = position < 0 ? position + count : position;
        if (index < 0 || index >= count)
            throw new SteerException(ErrorKind.InvalidArgument, $"position {position} is outside the prompt's {count} tokens (0..{count - 1}, or negative from the end)");
        return [index];
    }

    /// <summary>The rows of the components added at the front (the mode the options impose, else each component's own).</summary>
    private static int FrontRows(SteeringVector vector, SteeringOptions options) =>
        vector.Components.Where(c => (options.Positions ?? c.Mode) == PositionMode.Front).Select(c => c.Positions).DefaultIfEmpty(0).Max();

    /// <summary>The positions of a steered run of <paramref name="length"/> tokens that the front rows are added at, as the injector places them.</summary>
    private static (int Start, int Count) InjectedRange(int rows, int length, InjectionLocation location)
    {
        var count = Math.Min(rows, length);   // shorter only under ShortPromptPolicy.Truncate
        return (location switch
        {
            InjectionLocation.Front => 0,
            InjectionLocation.Mid => length / 2 - count / 2,
            _ => length - count,
        }, count);
    }

    /// <returns>log p(· | ids[..i]) for each i of <paramref name="positions"/>, in float64</returns>
    private static Tensor LogProbabilities(LanguageModel model, IReadOnlyList<int> ids, IReadOnlyList<int> positions)
    {
        using var logits = model.Logits(ids);                                         // [pos, vocab]
        using var index = tensor(positions.Select(p => (long)p).ToArray(), device: logits.device);
        return logits.index_select(0, index).to(ScalarType.Float64).log_softmax(-1).cpu();
    }

    /// <summary>log Σ exp(logp[t]) over the tokens with aligned[t] == <paramref name="inSet"/>, scaled by the largest so tiny probabilities do not underflow; −∞ for none.</summary>
    private static double LogSum(ReadOnlySpan<double> logp, ReadOnlySpan<bool> aligned, bool inSet)
    {
        var max = double.NegativeInfinity;
        for (var t = 0; t < logp.Length; t++)
            if (aligned[t] == inSet && logp[t] > max) max = logp[t];
        if (double.IsNegativeInfinity(max)) return max;
        var sum = 0.0;
        for (var t = 0; t < logp.Length; t++)
            if (aligned[t] == inSet) sum += Math.Exp(logp[t] - max);
        return max + Math.Log(sum);
    }

    /// <summary>P_steered(set) · KL(P_steered(·|set) ‖ P_unsteered(·|set)), from the sets' log sums.</summary>
    private static double WeightedWithinSetKl(ReadOnlySpan<double> logpUnsteered, ReadOnlySpan<double> logpSteered, ReadOnlySpan<bool> aligned,
        bool inSet, double logSumUnsteered, double logSumSteered)
    {
        var weight = Math.Exp(logSumSteered);
        if (weight == 0) return 0;
        if (double.IsNegativeInfinity(logSumUnsteered)) return double.PositiveInfinity;
        var kl = 0.0;
        for (var t = 0; t < logpSteered.Length; t++)
        {
            if (aligned[t] != inSet) continue;
            var logq = logpSteered[t] - logSumSteered;                        // log P_steered(t | set)
            var q = Math.Exp(logq);
            if (q > 0) kl += q * (logq - (logpUnsteered[t] - logSumUnsteered));
        }
        // A KL is never negative; rounding can leave −1e-17 where the two conditionals agree.
        return weight * Math.Max(0, kl);
    }
}
