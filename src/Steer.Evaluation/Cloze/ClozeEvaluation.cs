using Steer.Steering;
using Steer.Tokenization;
using static TorchSharp.torch;

namespace Steer.Evaluation.Cloze;

/// <summary>Why an item is left out of a cloze run.</summary>
public enum ClozeDropReason
{
    /// <summary>Nothing comes before [MASK], so a causal model has no context to predict it from.</summary>
    EmptyPrompt,
    /// <summary>The target is not exactly one token after the prompt (prompt + " " + target against the prompt).</summary>
    NotOneToken,
    /// <summary>The prompt is shorter than the steering vector and the short-prompt policy is "error".</summary>
    ShorterThanVector,
    /// <summary>The prompt does not fit the model's context.</summary>
    TooLong,
}

public sealed record ClozeDrop(ClozeItem Item, ClozeDropReason Reason);

/// <summary>A kept item: its target token and how many vocabulary tokens got a strictly larger logit, without and with steering.</summary>
public sealed record ClozeRank(ClozeItem Item, int TargetId, int RankUnsteered, int RankSteered);

/// <summary>P@K: the share of kept items whose target ranks below K, unsteered and steered.</summary>
public sealed record ClozeAccuracy(int K, double Unsteered, double Steered);

public sealed record ClozeResult(IReadOnlyList<ClozeRank> Kept, IReadOnlyList<ClozeDrop> Dropped, IReadOnlyList<ClozeAccuracy> Accuracy);

/// <summary>
/// The paper's capability check on facts (its ConceptNet/LAMA run): for each item, the rank of the hidden word among
/// the next-token logits after the prompt, without and with steering, and the mean precision at K (P@K = 1 when
/// the rank is below K). The rank counts the tokens with a strictly larger logit, so a tie goes in the target's favour.
/// </summary>
public static class ClozeEvaluation
{
    public static IReadOnlyList<int> DefaultKs { get; } = [1, 2, 5, 10, 20, 50, 100];

    public static ClozeResult Measure(LanguageModel model, IReadOnlyList<ClozeItem> items, SteeringVector vector,
        SteeringOptions? options = null, IReadOnlyList<int>? ks = null)
    {
        options ??= new SteeringOptions();
        ks = CheckKs(ks ?? DefaultKs);
        var kept = new List<ClozeRank>();
        var dropped = new List<ClozeDrop>();
        foreach (var item in items)
        {
            var (ids, target, reason) = Tokenize(model.Tokenizer, item);
            if (reason is null && ids.Count > model.Shape.ContextLength) reason = ClozeDropReason.TooLong;
            if (reason is null && ids.Count < vector.Positions && options.ShortPrompt == ShortPromptPolicy.Error) reason = ClozeDropReason.ShorterThanVector;
            var steeredIds = reason is null ? model.PrepareForSteering(ids, vector, options) : ids;
            if (reason is null && steeredIds.Count > model.Shape.ContextLength) reason = ClozeDropReason.TooLong;
            if (reason is { } why)
            {
                dropped.Add(new ClozeDrop(item, why));
                continue;
            }
            var unsteered = Rank(model, ids, target);
            int steered;
            using (model.AddSteering(vector, options))
                steered = Rank(model, steeredIds, target);
            kept.Add(new ClozeRank(item, target, unsteered, steered));
        }
        var accuracy = ks.Select(k => kept.Count == 0 ? new ClozeAccuracy(k, double.NaN, double.NaN)
            : new ClozeAccuracy(k, kept.Count(r => r.RankUnsteered < k) / (double)kept.Count, kept.Count(r => r.RankSteered < k) / (double)kept.Count)).ToList();
        return new ClozeResult(kept, dropped, accuracy);
    }

    /// <summary>The Ks in increasing order, each once; refused when one is not positive.</summary>
    public static IReadOnlyList<int> CheckKs(IReadOnlyList<int> ks)
    {
        if (ks.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "give at least one K");
        if (ks.Where(k => k <= 0).ToList() is [var bad, ..])
            throw new SteerException(ErrorKind.InvalidArgument, $"K must be at least 1 (P@K counts ranks below K), got {bad}");
        return ks.Distinct().Order().ToList();
    }

    /// <summary>
    /// The prompt's ids (with BOS) and the target token, or why the item is dropped. The target is read the GPT-2 way,
    /// as a word after a space: ids(prompt + " " + target) must be ids(prompt) and exactly one more token, so a target
    /// the tokenizer would merge with the prompt's end, or split into pieces, is dropped.
    /// </summary>
    public static (IReadOnlyList<int> Ids, int Target, ClozeDropReason? Reason) Tokenize(ITokenizer tokenizer, ClozeItem item)
    {
        var prompt = item.Prompt;
        if (prompt.Length == 0) return ([], -1, ClozeDropReason.EmptyPrompt);
        var ids = tokenizer.Encode(prompt);
        var full = tokenizer.Encode(prompt + " " + item.Target);
        var oneMore = full.Count == ids.Count + 1 && full.Take(ids.Count).SequenceEqual(ids);
        return oneMore ? (ids, full[^1], null) : (ids, -1, ClozeDropReason.NotOneToken);
    }

    /// <summary>How many tokens get a strictly larger next-token logit than <paramref name="target"/> after <paramref name="ids"/>.</summary>
    private static int Rank(LanguageModel model, IReadOnlyList<int> ids, int target)
    {
        using var scope = NewDisposeScope();
        using var logits = model.Logits(ids);                                 // [pos, vocab]
        var next = logits[ids.Count - 1].to(ScalarType.Float32);              // [vocab]
        return (int)(next > next[target]).sum().item<long>();
    }
}
