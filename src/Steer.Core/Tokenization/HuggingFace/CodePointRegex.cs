using System.Text;
using System.Text.RegularExpressions;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// A regex matched over Unicode code points, as Oniguruma and Rust match, rather than UTF-16 units.
/// </summary>
/// <remarks>
/// .NET regex sees a character outside the BMP as two surrogates, which are neither \p{L} nor \p{N}, so
/// "x𝐀" (a math letter) or "𝟏𝟐𝟑𝟒" (math digits) would split differently from Hugging Face. The text is matched in
/// a shadow form where each such character is one BMP stand-in of the same Unicode category, so classes and
/// counted repeats such as \p{N}{1,3} see one character; matches are mapped back to the real text.
/// </remarks>
internal sealed class CodePointRegex(Regex regex)
{
    // One BMP character of each Unicode category, to stand in for non-BMP characters of that category.
    private static readonly char[] StandIns = BuildStandIns();

    /// <summary>The (start, length) of each match in <paramref name="text"/>, in UTF-16 units of the real text.</summary>
    public IEnumerable<(int Start, int Length)> Matches(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            foreach (Match m in regex.Matches(text))
                yield return (m.Index, m.Length);
            yield break;
        }

        // offsets[k] = the index in the real text of shadow char k (and offsets[^1] = text.Length).
        var shadow = new StringBuilder(text.Length);
        var offsets = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            offsets.Add(i);
            if (Rune.TryGetRuneAt(text, i, out var rune) && rune.Utf16SequenceLength == 2)
            {
                shadow.Append(StandIns[(int)Rune.GetUnicodeCategory(rune)]);
                i += 2;
            }
            else
            {
                shadow.Append(text[i]); // a lone surrogate stays itself, as it cannot be a character class member
                i++;
            }
        }
        offsets.Add(text.Length);
        foreach (Match m in regex.Matches(shadow.ToString()))
            yield return (offsets[m.Index], offsets[m.Index + m.Length] - offsets[m.Index]);
    }

    private static char[] BuildStandIns()
    {
        var standIns = new char[32];
        var found = new bool[32];
        // Prefer non-ASCII stand-ins, so that ASCII literals in a pattern ('s, 't, ...) cannot match one.
        for (int c = 0xA0; c < 0x10000; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF || char.IsWhiteSpace((char)c))
                continue;
            int category = (int)char.GetUnicodeCategory((char)c);
            if (!found[category] && !(char.ToUpperInvariant((char)c) < 0x80 || char.ToLowerInvariant((char)c) < 0x80))
            {
                standIns[category] = (char)c;
                found[category] = true;
            }
        }
        for (int category = 0; category < standIns.Length; category++)
        {
            if (!found[category])
                standIns[category] = '\uE000'; // private use: only categories that no non-BMP character has are missing
        }
        return standIns;
    }
}
