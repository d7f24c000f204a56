namespace Steer.Evaluation;

/// <summary>
/// A small rule-based sentence splitter, so that evaluation texts need no NLTK. A sentence ends at '.', '!' or
/// '?' (and any closing quotes or brackets right after it) when whitespace follows and the next text starts
/// with an upper-case letter, a digit or an opening quote. A full stop does not end a sentence after a common
/// abbreviation ("Mr.", "Dr.", "e.g.", ...) or a single capital letter (an initial, as in "J. Smith").
/// </summary>
public static class SentenceSplitter
{
    /// <summary>Words that a full stop follows without ending the sentence (compared lower-case, without the stop).</summary>
    public static readonly IReadOnlySet<string> Abbreviations = new HashSet<string>(StringComparer.Ordinal)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "no", "fig", "approx", "dept", "inc", "ltd", "co",
        "e.g", "i.e", "cf", "a.m", "p.m", "u.s", "u.k",
    };

    private const string ClosingMarks = "\"'”’)]";
    private const string OpeningQuotes = "\"'“‘(";

    /// <summary>The sentences of every non-empty line; each line is one text (a paragraph or a sentence).</summary>
    public static IReadOnlyList<string> SplitLines(IEnumerable<string> lines) =>
        lines.Where(line => !string.IsNullOrWhiteSpace(line)).SelectMany(Split).ToList();

    /// <summary>The sentences of one paragraph, trimmed, in order.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        var sentences = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is not ('.' or '!' or '?')) continue;
            var end = i + 1;
            while (end < text.Length && (ClosingMarks.Contains(text[end]) || text[end] is '.' or '!' or '?')) end++;
            var next = end;
            while (next < text.Length && char.IsWhiteSpace(text[next])) next++;
            if (next == end || next >= text.Length) continue;           // no whitespace after it, or the text's end
            if (!StartsSentence(text[next])) continue;
            if (text[i] == '.' && IsAbbreviation(text, start, i)) continue;
            Add(sentences, text[start..end]);
            start = next;
            i = next - 1;
        }
        Add(sentences, text[start..]);
        return sentences;
    }

    private static bool StartsSentence(char c) => char.IsUpper(c) || char.IsDigit(c) || OpeningQuotes.Contains(c);

    /// <summary>Whether the word before the full stop at <paramref name="dot"/> is an abbreviation or an initial.</summary>
    private static bool IsAbbreviation(string text, int sentenceStart, int dot)
    {
        var wordStart = dot;
        while (wordStart > sentenceStart && !char.IsWhiteSpace(text[wordStart - 1]) && !OpeningQuotes.Contains(text[wordStart - 1])) wordStart--;
        var word = text[wordStart..dot];
        if (word.Length == 1 && char.IsUpper(word[0])) return true;
        return Abbreviations.Contains(word.ToLowerInvariant());
    }

    private static void Add(List<string> sentences, string sentence)
    {
        sentence = sentence.Trim();
        if (sentence.Length > 0) sentences.Add(sentence);
    }
}
