namespace Steer.Tokenization.HuggingFace;

/// <summary>One entry of tokenizer.json's <c>added_tokens</c>, with the flags that change how it is found in text.</summary>
/// <param name="Normalized">Whether it is matched in the normalized text rather than the raw text.</param>
/// <param name="LStrip">Whether the whitespace before it is swallowed by it.</param>
/// <param name="RStrip">Whether the whitespace after it is swallowed by it.</param>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip);

/// <summary>
/// A piece of text to encode: either an added token (<see cref="AddedId"/>) or text for the model, with where it
/// starts in the original text (a Metaspace pre-tokenizer with prepend_scheme "first" only prefixes offset 0).
/// </summary>
internal readonly record struct TextSegment(string Text, int Start, int? AddedId);

/// <summary>
/// Cuts added tokens out of a text before the model sees it, as Hugging Face does: at each position the longest
/// added token that starts there wins (leftmost-longest), and lstrip/rstrip tokens take the whitespace beside them.
/// </summary>
internal sealed class AddedTokenSplitter
{
    // Candidates by first char, longest first, so that the first match at a position is the longest one.
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens) =>
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());

    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>Appends the segments of <paramref name="text"/> (which starts at <paramref name="start"/> in the original) to <paramref name="output"/>.</summary>
    /// <remarks>Empty text segments are left out, as Hugging Face leaves them out.</remarks>
    public void Split(string text, int start, List<TextSegment> output)
    {
        int textStart = 0; // where the pending text segment begins
        int i = 0;
        while (i < text.Length)
        {
            if (Match(text, i) is not { } token)
            {
                i++;
                continue;
            }
            int matchStart = i, matchEnd = i + token.Content.Length;
            if (token.LStrip)
            {
                while (matchStart > textStart && char.IsWhiteSpace(text[matchStart - 1]))
                    matchStart--;
            }
            if (token.RStrip)
            {
                while (matchEnd < text.Length && char.IsWhiteSpace(text[matchEnd]))
                    matchEnd++;
            }
            if (matchStart > textStart)
                output.Add(new TextSegment(text[textStart..matchStart], start + textStart, null));
            output.Add(new TextSegment(token.Content, start + matchStart, token.Id));
            i = textStart = matchEnd;
        }
        if (textStart < text.Length)
            output.Add(new TextSegment(text[textStart..], start + textStart, null));
    }

    private AddedToken? Match(string text, int position)
    {
        if (!_byFirstChar.TryGetValue(text[position], out var candidates))
            return null;
        foreach (var token in candidates)
        {
            if (text.AsSpan(position).StartsWith(token.Content, StringComparison.Ordinal))
                return token;
        }
        return null;
    }
}
