using System.Text.RegularExpressions;

namespace Steer.Evaluation;

/// <summary>
/// Counts topic words in a text by the rules of the post's word-count metric: lower-case the text, replace
/// every non-word character (regex <c>\W</c>) with a space, split on whitespace, and count the words that
/// equal one of the given words exactly. So "Wedding's" counts "wedding", "wedding-day" counts "wedding",
/// but "weddings" counts only if it is in the list itself and "wedding_day" (one word) counts nothing.
/// </summary>
public sealed partial class WordCounter
{
    /// <summary>The post's wedding words (§5.5).</summary>
    public static IReadOnlyList<string> WeddingWords { get; } =
        ["wedding", "weddings", "wed", "marry", "married", "marriage", "bride", "groom", "honeymoon"];

    private readonly HashSet<string> _words;

    public WordCounter(IEnumerable<string> words)
    {
        _words = words.Select(w => w.Trim().ToLowerInvariant()).Where(w => w.Length > 0).ToHashSet(StringComparer.Ordinal);
        if (_words.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "no words to count");
        var notAWord = _words.FirstOrDefault(w => Words(w).Count != 1);
        if (notAWord is not null)
            throw new SteerException(ErrorKind.InvalidArgument, $"'{notAWord}' can never match: the text is split at every non-word character, so give single words");
    }

    public IReadOnlyCollection<string> Targets => _words;

    /// <summary>How many words of <paramref name="text"/> are in the list (each occurrence counts).</summary>
    public int Count(string text) => Words(text).Count(_words.Contains);

    /// <summary>The words of a text under the counting rules: lower-cased, split at non-word characters.</summary>
    public static IReadOnlyList<string> Words(string text) =>
        NonWord().Replace(text.ToLowerInvariant(), " ").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"\W")]
    private static partial Regex NonWord();
}

/// <summary>Word counts of a set of completions.</summary>
/// <param name="MeanCount">Mean number of listed words per completion.</param>
/// <param name="FractionWithAny">Share of completions with at least one listed word.</param>
public sealed record WordCountSummary(int Completions, double MeanCount, double FractionWithAny)
{
    public static WordCountSummary Of(WordCounter counter, IReadOnlyList<string> completions)
    {
        if (completions.Count == 0) return new WordCountSummary(0, double.NaN, double.NaN);
        var counts = completions.Select(counter.Count).ToList();
        return new WordCountSummary(counts.Count, counts.Average(), counts.Count(c => c > 0) / (double)counts.Count);
    }
}
