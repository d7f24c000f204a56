using Steer.Tokenization;

namespace Steer.Evaluation;

/// <summary>
/// The steering-aligned token set T_A of effectiveness and disruption (the original library's
/// <c>steering_aligned_tokens</c>): distinct token ids, in the order first given.
/// </summary>
public sealed class AlignedTokens
{
    private AlignedTokens(IReadOnlyList<int> ids) => Ids = ids;

    public IReadOnlyList<int> Ids { get; }

    /// <summary>
    /// Comma-separated words, each read as a continuation: surrounding whitespace trimmed, then one space prepended
    /// (" wedding"), encoded without BOS. Every word must be one token; the error names each that is not and its tokens.
    /// </summary>
    public static AlignedTokens FromWords(ITokenizer tokenizer, string words)
    {
        var entries = words.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (entries.Length == 0) throw new SteerException(ErrorKind.InvalidArgument, "the aligned words are empty; give at least one word");
        var encoded = entries.Select(word => (Word: word, Ids: tokenizer.Encode(" " + word, prependBos: false))).ToList();
        var split = encoded.Where(e => e.Ids.Count != 1).ToList();
        if (split.Count > 0)
            throw new SteerException(ErrorKind.InvalidArgument,
                "each aligned word must be one token after a space; not one token: " + string.Join(", ", split.Select(e =>
                    $"\"{e.Word}\" ({(e.Ids.Count == 0 ? "no tokens" : string.Join(" + ", e.Ids.Select(id => Quote(tokenizer.TokenText(id)))))})")));
        return new AlignedTokens(encoded.Select(e => e.Ids[0]).Distinct().ToList());
    }

    /// <summary>Token ids used literally, each below <paramref name="vocabularySize"/>; duplicates collapse.</summary>
    public static AlignedTokens FromIds(IReadOnlyList<int> ids, int vocabularySize)
    {
        if (ids.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "the aligned token ids are empty; give at least one id");
        var outside = ids.Where(id => id < 0 || id >= vocabularySize).Distinct().ToList();
        if (outside.Count > 0)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"aligned token id{(outside.Count > 1 ? "s" : "")} {string.Join(", ", outside)} outside the vocabulary (0..{vocabularySize - 1})");
        return new AlignedTokens(ids.Distinct().ToList());
    }

    /// <summary>Membership of every id below <paramref name="vocabularySize"/>; refuses ids beyond it.</summary>
    internal bool[] Mask(int vocabularySize)
    {
        var mask = new bool[vocabularySize];
        foreach (var id in Ids)
        {
            if (id >= vocabularySize)
                throw new SteerException(ErrorKind.InvalidArgument, $"aligned token id {id} is outside the model's vocabulary (0..{vocabularySize - 1})");
            mask[id] = true;
        }
        return mask;
    }

    private static string Quote(string token) => "\"" + token.Replace("\"", "\\\"") + "\"";
}
