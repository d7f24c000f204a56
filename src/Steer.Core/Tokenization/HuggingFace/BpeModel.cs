using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json's BPE <c>model</c>: the merges of one word, done by Microsoft.ML.Tokenizers, plus what that
/// library lacks: byte fallback (a character not in the vocabulary becomes its UTF-8 bytes as &lt;0xNN&gt; tokens),
/// Hugging Face's unknown-token rules, and ignore_merges (a word that is in the vocabulary is one token).
/// </summary>
/// <remarks>
/// The library is given a marker token that no file contains as its unknown token, so that every character it
/// cannot encode comes back as that marker with the offsets of the character; those spans are then encoded here.
/// </remarks>
internal sealed class BpeModel
{
    private const string UnknownMarker = "\uFFFF<steer: not in the vocabulary>\uFFFF";
    private const int MaxTokenId = 1 << 24; // guards the tables against absurd ids in a hostile or broken file

    private readonly BpeTokenizer _bpe;
    private readonly int _unknownMarkerId;
    private readonly int[]? _byteIds; // the id of <0xNN> for each byte, -1 when missing; null without byte fallback
    private readonly int? _unkId;
    private readonly bool _fuseUnk, _ignoreMerges;

    private BpeModel(BpeTokenizer bpe, Dictionary<string, int> vocab, int unknownMarkerId, int[]? byteIds, int? unkId, bool fuseUnk, bool ignoreMerges)
    {
        _bpe = bpe;
        Vocab = vocab;
        _unknownMarkerId = unknownMarkerId;
        _byteIds = byteIds;
        _unkId = unkId;
        _fuseUnk = fuseUnk;
        _ignoreMerges = ignoreMerges;
    }

    /// <summary>The model's vocabulary (without added tokens that are not in it).</summary>
    public IReadOnlyDictionary<string, int> Vocab { get; }

    /// <summary>Whether characters not in the vocabulary become byte tokens.</summary>
    public bool ByteFallback => _byteIds is not null;

    /// <summary>Appends the ids of one pre-tokenized word to <paramref name="ids"/>.</summary>
    public void Encode(string word, List<int> ids)
    {
        if (word.Length == 0)
            return;
        if (_ignoreMerges && Vocab.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            return;
        }
        var tokens = _bpe.EncodeToTokens(word, out _);
        for (int i = 0; i < tokens.Count;)
        {
            if (tokens[i].Id != _unknownMarkerId)
            {
                ids.Add(tokens[i++].Id);
                continue;
            }
            int start = tokens[i].Offset.Start.Value, end = tokens[i].Offset.End.Value;
            for (i++; i < tokens.Count && tokens[i].Id == _unknownMarkerId; i++)
                end = tokens[i].Offset.End.Value;
            EncodeUnknown(word.AsSpan(start, end - start), ids);
        }
    }

    // Hugging Face, per character: its bytes if byte fallback has them all, else unk (consecutive ones fused if
    // fuse_unk), else nothing at all.
    private void EncodeUnknown(ReadOnlySpan<char> text, List<int> ids)
    {
        bool lastWasUnk = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            int length = rune.EncodeToUtf8(utf8);
            if (_byteIds is not null && !utf8[..length].ToArray().Any(b => _byteIds[b] < 0))
            {
                foreach (byte b in utf8[..length])
                    ids.Add(_byteIds[b]);
                lastWasUnk = false;
            }
            else if (_unkId is { } unk)
            {
                if (!(_fuseUnk && lastWasUnk))
                    ids.Add(unk);
                lastWasUnk = true;
            }
        }
    }

    public static BpeModel Read(JsonElement model, TokenizerJsonFile file)
    {
        string type = TokenizerJsonFile.Optional(model, "type") is { } t ? file.TypeOf(model, "model") : "BPE";
        if (type != "BPE")
            throw file.Error($"model.type is \"{type}\"; only BPE models are supported (not Unigram, WordPiece or WordLevel)");
        if (TokenizerJsonFile.Optional(model, "dropout") is { } dropout && !(dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() == 0))
            throw file.Error("model.dropout is set; BPE dropout is for training and is not supported");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (!string.IsNullOrEmpty(file.OptionalString(model, affix, "model")))
                throw file.Error($"model.{affix} is set, which Steer does not support");
        }

        var vocab = ReadVocab(file.Required(model, "vocab", JsonValueKind.Object, "model"), file);
        var merges = ReadMerges(file.Required(model, "merges", JsonValueKind.Array, "model"), vocab, file);

        int[]? byteIds = null;
        if (file.Bool(model, "byte_fallback", false, "model"))
            byteIds = [.. Enumerable.Range(0, 256).Select(b => vocab.GetValueOrDefault(string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>"), -1))];
        int? unkId = null;
        if (file.OptionalString(model, "unk_token", "model") is { } unk)
            unkId = vocab.TryGetValue(unk, out int id) ? id : throw file.Error($"model.unk_token \"{unk}\" is not in model.vocab");

        int markerId = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        var options = new BpeOptions(vocab.Append(new(UnknownMarker, markerId)))
        {
            Merges = merges,
            UnknownToken = UnknownMarker,
            FuseUnknownTokens = false, // each character alone, for byte fallback; fuse_unk is applied afterwards
            PreTokenizer = new WholeText(), // words come from the pre-tokenizer pipeline; without this the library splits on spaces
        };
        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw file.Error($"Microsoft.ML.Tokenizers cannot build its BPE model: {e.Message}");
        }
        return new BpeModel(bpe, vocab, markerId, byteIds, unkId, file.Bool(model, "fuse_unk", false, "model"), file.Bool(model, "ignore_merges", false, "model"));
    }

    private static Dictionary<string, int> ReadVocab(JsonElement element, TokenizerJsonFile file)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<int>();
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id is < 0 or >= MaxTokenId)
                throw file.Error($"model.vocab gives token \"{entry.Name}\" the id {entry.Value.GetRawText()}, not an integer from 0 to {MaxTokenId - 1}");
            if (!seen.Add(id))
                throw file.Error($"model.vocab gives id {id} to more than one token");
            vocab[entry.Name] = id;
        }
        return vocab;
    }

    private static List<string> ReadMerges(JsonElement merges, Dictionary<string, int> vocab, TokenizerJsonFile file)
    {
        var result = new List<string>(merges.GetArrayLength());
        foreach (var merge in merges.EnumerateArray())
        {
            string where = $"model.merges[{result.Count}]";
            (string a, string b) = merge.ValueKind switch
            {
                JsonValueKind.String when merge.GetString()!.Split(' ') is [{ Length: > 0 } x, { Length: > 0 } y] => (x, y),
                JsonValueKind.Array when merge.GetArrayLength() == 2 && merge.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String)
                    => (merge[0].GetString()!, merge[1].GetString()!),
                _ => throw file.Error($"{where} is {merge.GetRawText()}, neither \"a b\" nor a pair of strings"),
            };
            if (!vocab.ContainsKey(a) || !vocab.ContainsKey(b) || !vocab.ContainsKey(a + b))
                throw file.Error($"{where} (\"{a}\" + \"{b}\") uses or makes a token that is not in model.vocab");
            if (a.Contains(' ') || b.Contains(' '))
                throw file.Error($"{where} has a token with a space, which Microsoft.ML.Tokenizers' merge format cannot hold");
            result.Add(new StringBuilder(a.Length + b.Length + 1).Append(a).Append(' ').Append(b).ToString());
        }
        return result;
    }

    /// <summary>Gives the library the whole text as one word: the pre-tokenizer pipeline has already made the words.</summary>
    private sealed class WholeText : PreTokenizer
    {
        public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
            string.IsNullOrEmpty(text) ? [] : [(0, text.Length)];

        public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) =>
            text.IsEmpty ? [] : [(0, text.Length)];
    }
}
