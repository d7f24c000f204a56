using CsCheck;
using Steer.Tests.IO;
using Steer.Tokenization;
using Steer.Tokenization.HuggingFace;

namespace Steer.Tests.Properties;

/// <summary>Byte-level BPE loses nothing: decoding the ids of any text gives the text back.</summary>
public class TokenizerProperties
{
    /// <summary>Any Unicode scalar value (no lone surrogates, which UTF-8 cannot carry), weighted towards ASCII and whitespace.</summary>
    private static readonly Gen<string> GenText =
        Gen.Frequency(
                (4, Gen.Int[0x20, 0x7E]),
                (1, Gen.OneOf('\t', '\n', '\r', ' ').Select(c => (int)c)),
                (1, Gen.Int[0x80, 0xFFFF]),
                (1, Gen.Int[0x10000, 0x10FFFF]))
            .Where(codePoint => codePoint is < 0xD800 or > 0xDFFF)
            .Array[0, 40]
            .Select(codePoints => string.Concat(codePoints.Select(char.ConvertFromUtf32)));

    private static void RoundTrips(ITokenizer tokenizer, IReadOnlyList<string> specialTokens) =>
        // Text that spells a special token is encoded as that token, by design; such text is left out.
        GenText.Where(text => !specialTokens.Any(s => text.Contains(s, StringComparison.Ordinal)))
            .Sample(text => tokenizer.Decode(tokenizer.Encode(text, prependBos: false)).ShouldBe(text), iter: 1000);

    [Fact]
    public void Gpt2_decode_of_encode_is_the_identity() =>
        RoundTrips(Gpt2Tokenizer.Default, [TokenizerFiles.EndOfTextToken]);

    [Fact]
    public void Formula_byte_level_tokenizer_decode_of_encode_is_the_identity()
    {
        using var dir = new TempDirectory();
        FormulaTokenizerFile.Write(dir.Path, FormulaTokenizerFile.MinimumVocabulary + 4);
        var tokenizer = HuggingFaceTokenizer.FromDirectory(dir.Path).ShouldNotBeNull();
        var specials = new[] { "<unk>", "<s>", "</s>" }
            .Concat(Enumerable.Range(FormulaTokenizerFile.MinimumVocabulary, 4).Select(id => $"<|reserved_{id}|>")).ToList();
        RoundTrips(tokenizer, specials);
    }
}
