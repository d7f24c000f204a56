using System.Text;
using System.Text.RegularExpressions;

namespace Steer.Tokenization.HuggingFace;

/// <summary>One pre-tokenizer of tokenizer.json: cuts a piece of text into smaller pieces that BPE sees separately.</summary>
internal abstract class PreTokenizerStep
{
    /// <param name="atTextStart">Whether <paramref name="piece"/> starts at offset 0 of the original text.</param>
    public abstract void Split(string piece, bool atTextStart, List<string> output);
}

/// <summary>How a Split pre-tokenizer treats the matches of its pattern (Hugging Face's SplitDelimiterBehavior).</summary>
internal enum SplitBehavior { Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>Hugging Face's Split: the matches of a pattern (Llama 3's and Qwen2's word regexes) and the gaps between them.</summary>
internal sealed class RegexSplitStep(CodePointRegex pattern, SplitBehavior behavior) : PreTokenizerStep
{
    public override void Split(string piece, bool atTextStart, List<string> output)
    {
        int pending = 0; // start of the text not yet output
        int lastMatchEnd = -1;
        foreach (var (start, length) in pattern.Matches(piece))
        {
            if (length == 0)
                continue;
            int end = start + length;
            switch (behavior)
            {
                case SplitBehavior.Isolated:
                    Add(piece, pending, start, output);
                    Add(piece, start, end, output);
                    pending = end;
                    break;
                case SplitBehavior.Contiguous:
                    if (start == lastMatchEnd && output.Count > 0)
                    {
                        output[^1] += piece[start..end];
                    }
                    else
                    {
                        Add(piece, pending, start, output);
                        Add(piece, start, end, output);
                    }
                    pending = end;
                    break;
                case SplitBehavior.Removed:
                    Add(piece, pending, start, output);
                    pending = end;
                    break;
                case SplitBehavior.MergedWithPrevious:
                    Add(piece, pending, end, output);
                    pending = end;
                    break;
                case SplitBehavior.MergedWithNext:
                    Add(piece, pending, start, output);
                    pending = start;
                    break;
            }
            lastMatchEnd = end;
        }
        Add(piece, pending, piece.Length, output);
    }

    private static void Add(string text, int start, int end, List<string> output)
    {
        if (end > start)
            output.Add(text[start..end]);
    }
}

/// <summary>
/// Hugging Face's ByteLevel pre-tokenizer: optionally GPT-2's word regex, then each piece as its UTF-8 bytes in the
/// byte-level alphabet (so "Ġ" is a space). Must be the last step, as what follows would see byte-level text.
/// </summary>
internal sealed partial class ByteLevelStep(bool addPrefixSpace, bool useRegex) : PreTokenizerStep
{
    private static readonly RegexSplitStep Gpt2Words = new(new CodePointRegex(Gpt2Pattern()), SplitBehavior.Isolated);

    // The pattern of Hugging Face's ByteLevel pre-tokenizer (the original GPT-2 encoder's).
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Gpt2Pattern();

    public override void Split(string piece, bool atTextStart, List<string> output)
    {
        if (addPrefixSpace && !piece.StartsWith(' '))
            piece = " " + piece;
        var words = new List<string>();
        if (useRegex)
            Gpt2Words.Split(piece, atTextStart, words);
        else
            words.Add(piece);
        foreach (var word in words)
            output.Add(TokenizerFiles.ToByteLevel(Encoding.UTF8.GetBytes(word)));
    }
}

/// <summary>Where a Metaspace pre-tokenizer puts its "▁" before a text.</summary>
internal enum PrependScheme { Always, First, Never }

/// <summary>
/// Hugging Face's Metaspace (Mistral, newer Llama 2 files): spaces become "▁", "▁" is put first unless the piece
/// already starts with one (always, or only at the very start of the text for "first"), and optionally the piece
/// is cut before each "▁".
/// </summary>
internal sealed class MetaspaceStep(char replacement, PrependScheme scheme, bool split) : PreTokenizerStep
{
    public override void Split(string piece, bool atTextStart, List<string> output)
    {
        piece = piece.Replace(' ', replacement);
        bool prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && atTextStart);
        if (prepend && !piece.StartsWith(replacement))
            piece = replacement + piece;
        if (!split)
        {
            output.Add(piece);
            return;
        }
        int start = 0;
        for (int i = 1; i <= piece.Length; i++)
        {
            if (i == piece.Length || piece[i] == replacement)
            {
                output.Add(piece[start..i]);
                start = i;
            }
        }
    }
}
