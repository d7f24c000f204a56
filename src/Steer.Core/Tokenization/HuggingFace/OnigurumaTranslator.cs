using System.Globalization;
using System.Text;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// Turns the Oniguruma regex of a tokenizer.json Split pre-tokenizer (what Hugging Face tokenizers compiles) into
/// .NET regex syntax. The patterns of Llama 3, Qwen2 and GPT-2 need no change; constructs that mean something
/// else in .NET or do not exist there are refused rather than guessed, since a wrong split silently changes ids.
/// </summary>
internal static class OnigurumaTranslator
{
    /// <summary>The .NET form of <paramref name="pattern"/>.</summary>
    /// <exception cref="NotSupportedException">With the reason, for a construct that cannot be translated.</exception>
    public static string Translate(string pattern)
    {
        var result = new StringBuilder(pattern.Length);
        bool inClass = false, afterQuantifier = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            bool quantifier = false;
            if (c == '\\')
            {
                if (i + 1 >= pattern.Length)
                    throw new NotSupportedException("the pattern ends with a lone backslash");
                i = TranslateEscape(pattern, i, result);
            }
            else if (inClass)
            {
                if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
                    throw new NotSupportedException("POSIX bracket classes such as [:alpha:] are not supported");
                if (c == '[')
                    throw new NotSupportedException("nested character classes are not supported");
                if (c == '&' && i + 1 < pattern.Length && pattern[i + 1] == '&')
                    throw new NotSupportedException("character class intersection (&&) is not supported");
                if (c == ']')
                    inClass = false;
                result.Append(c);
            }
            else
            {
                switch (c)
                {
                    case '[':
                        inClass = true;
                        result.Append(c);
                        if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                            result.Append(pattern[++i]);
                        if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                            result.Append(pattern[++i]); // a leading ']' is literal in both dialects
                        break;
                    case '+' when afterQuantifier:
                        throw new NotSupportedException($"possessive quantifier at offset {i} (.NET has no possessive quantifiers)");
                    case '(' when i + 2 < pattern.Length && pattern[i + 1] == '?' && pattern[i + 2] == '~':
                        throw new NotSupportedException("the absent operator (?~...) is not supported");
                    case '*' or '+' or '?' or '}':
                        // A '?' right after '(' starts a group construct, not a quantifier.
                        quantifier = !(c == '?' && i > 0 && pattern[i - 1] == '(') && !(c == '?' && afterQuantifier);
                        result.Append(c);
                        break;
                    default:
                        result.Append(c);
                        break;
                }
            }
            afterQuantifier = quantifier;
        }
        if (inClass)
            throw new NotSupportedException("a character class is not closed");
        return result.ToString();
    }

    private static int TranslateEscape(string pattern, int i, StringBuilder result)
    {
        char e = pattern[i + 1];
        switch (e)
        {
            case 'x' when i + 2 < pattern.Length && pattern[i + 2] == '{':
                int close = pattern.IndexOf('}', i + 3);
                if (close < 0 || !int.TryParse(pattern.AsSpan(i + 3, close - i - 3), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code)
                    || code > 0xFFFF)
                    throw new NotSupportedException($"\\x{{...}} at offset {i} is not a code point up to U+FFFF");
                result.Append(CultureInfo.InvariantCulture, $"\\u{code:X4}");
                return close;
            case 'p' or 'P' when i + 2 < pattern.Length && pattern[i + 2] == '{':
                int end = pattern.IndexOf('}', i + 3);
                if (end < 0)
                    throw new NotSupportedException($"\\{e}{{ at offset {i} is not closed");
                // Oniguruma's \p{^L} is .NET's \P{L}.
                bool negated = pattern[i + 3] == '^';
                result.Append('\\').Append(negated ? (e == 'p' ? 'P' : 'p') : e).Append('{')
                    .Append(pattern, negated ? i + 4 : i + 3, end - (negated ? i + 4 : i + 3)).Append('}');
                return end;
            case 'h' or 'H' or 'R' or 'X' or 'K' or 'O' or 'y' or 'Y' or 'g' or 'k' or 'N' or 'o':
                throw new NotSupportedException($"\\{e} at offset {i} means something else, or nothing, in .NET regex");
            default:
                result.Append('\\').Append(e);
                return i + 1;
        }
    }
}
