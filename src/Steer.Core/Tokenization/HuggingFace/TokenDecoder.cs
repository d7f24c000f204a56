using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json's <c>decoder</c>, from ids back to text: either ByteLevel (each token is bytes in the byte-level
/// alphabet; the whole is UTF-8) or SentencePiece pieces ("▁" is a space; with ByteFallback, runs of &lt;0xNN&gt;
/// tokens are UTF-8, and a run that is not valid UTF-8 is one U+FFFD per byte, as in Hugging Face; optionally one
/// leading space of the whole text is stripped, which Strip after Fuse and the Metaspace decoder both do).
/// </summary>
internal sealed class TokenDecoder
{
    private static readonly UTF8Encoding Lossy = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly byte[]?[] _bytes; // per id: the bytes of its text; null for an id no token has
    private readonly int[]? _byteValues; // per id: 0-255 for a byte-fallback token, else -1; null for ByteLevel
    private readonly bool _stripLeadingSpace;
    private readonly string _source;

    private TokenDecoder(byte[]?[] bytes, int[]? byteValues, bool stripLeadingSpace, string source)
    {
        _bytes = bytes;
        _byteValues = byteValues;
        _stripLeadingSpace = stripLeadingSpace;
        _source = source;
    }

    public int VocabularySize => _bytes.Length;

    public string Decode(IEnumerable<int> ids)
    {
        var stream = new PieceStream(this);
        var text = new StringBuilder();
        foreach (int id in ids)
            text.Append(stream.Push(id));
        return text.Append(stream.Flush()).ToString();
    }

    /// <summary>The bytes one token stands for, for display (a byte-fallback token is its byte).</summary>
    public ReadOnlySpan<byte> DisplayBytes(int id) =>
        _byteValues is not null && _byteValues[Check(id)] is >= 0 and var b ? new[] { (byte)b } : Bytes(id);

    public IncrementalDecoder CreateIncrementalDecoder() =>
        _byteValues is null && !_stripLeadingSpace ? new IncrementalDecoder(Bytes) : new IncrementalDecoder(new PieceStream(this));

    private ReadOnlySpan<byte> Bytes(int id) => _bytes[Check(id)]!;

    private int Check(int id)
    {
        if ((uint)id >= (uint)_bytes.Length || _bytes[id] is null)
        {
            throw new SteerException(ErrorKind.InvalidArgument,
                $"Token id {id} is not in the vocabulary ({_source}); valid ids are 0 to {_bytes.Length - 1}.");
        }
        return id;
    }

    /// <summary>The decoder described by <paramref name="element"/> for the tokens <paramref name="tokens"/> (id to content).</summary>
    public static TokenDecoder Read(JsonElement? element, IReadOnlyDictionary<int, string> tokens, TokenizerJsonFile file, string source)
    {
        if (element is not { } decoder)
            throw file.Error("decoder is missing; Steer needs ByteLevel, Metaspace, or SentencePiece's Sequence of Replace, ByteFallback, Fuse and Strip");
        var table = new byte[]?[tokens.Count == 0 ? 0 : tokens.Keys.Max() + 1];
        string type = file.TypeOf(decoder, "decoder");
        if (type == "ByteLevel" || (type == "Sequence" && IsSingleByteLevel(decoder)))
        {
            foreach (var (id, content) in tokens)
                table[id] = TokenizerFiles.FromByteLevel(content);
            return new TokenDecoder(table, null, stripLeadingSpace: false, source);
        }

        var (replacement, byteFallback, strip) = type switch
        {
            "Metaspace" => (PreTokenizerPipeline.ReadReplacement(decoder, "decoder", file).ToString(), false,
                PreTokenizerPipeline.ReadPrependScheme(decoder, "decoder", file) != PrependScheme.Never),
            "Sequence" => ReadPieceSequence(decoder, file),
            _ => throw file.Error($"decoder has type \"{type}\", which Steer does not support (supported: ByteLevel, Metaspace, Sequence)"),
        };
        var byteValues = new int[table.Length];
        Array.Fill(byteValues, -1);
        foreach (var (id, content) in tokens)
        {
            table[id] = Encoding.UTF8.GetBytes(replacement is null ? content : content.Replace(replacement, " ", StringComparison.Ordinal));
            if (byteFallback && content is ['<', '0', 'x', _, _, '>'] && byte.TryParse(content.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
                byteValues[id] = b;
        }
        return new TokenDecoder(table, byteValues, strip, source);
    }

    private static bool IsSingleByteLevel(JsonElement sequence) =>
        sequence.TryGetProperty("decoders", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() == 1
        && list[0].ValueKind == JsonValueKind.Object && list[0].TryGetProperty("type", out var t) && t.ValueEquals("ByteLevel");

    // SentencePiece's decoder: Sequence[Replace("▁" -> " "), ByteFallback, Fuse, Strip(" ", 1, 0)], each part optional.
    private static (string? Replacement, bool ByteFallback, bool Strip) ReadPieceSequence(JsonElement sequence, TokenizerJsonFile file)
    {
        string? replacement = null;
        bool byteFallback = false, fused = false, strip = false;
        int index = 0;
        foreach (var part in file.Required(sequence, "decoders", JsonValueKind.Array, "decoder").EnumerateArray())
        {
            string where = $"decoder.decoders[{index++}]";
            switch (file.TypeOf(part, where))
            {
                case "Replace" when replacement is null && !fused:
                    replacement = file.StringPattern(part, where);
                    if (file.RequiredString(part, "content", where) != " " || replacement.Length == 0)
                        throw file.Error($"{where} is not a Replace of a string with \" \", which Steer does not support");
                    break;
                case "ByteFallback" when !fused:
                    byteFallback = true;
                    break;
                case "Fuse":
                    fused = true;
                    break;
                case "Strip" when fused && !strip:
                    if (file.RequiredString(part, "content", where) != " " || file.Int(part, "start", where) is not (0 or 1) || file.Int(part, "stop", where) != 0)
                        throw file.Error($"{where} is a Strip other than of at most one leading space, which Steer does not support");
                    strip = file.Int(part, "start", where) == 1;
                    break;
                case var other:
                    throw file.Error($"{where} is \"{other}\" at a place Steer does not support; the supported sequence is Replace, ByteFallback, Fuse, Strip");
            }
        }
        return (replacement, byteFallback, strip);
    }

    /// <summary>Streams text as Hugging Face decodes the whole: byte runs are held until they end, and the first text may lose a space.</summary>
    private sealed class PieceStream(TokenDecoder decoder) : ITokenTextStream
    {
        private readonly List<byte> _run = [];
        private readonly Decoder _utf8 = Lossy.GetDecoder(); // for ByteLevel, whose multi-byte characters span tokens
        private bool _started;

        public string Push(int id)
        {
            var bytes = decoder.Bytes(id);
            if (decoder._byteValues is null)
                return Emit(DecodeUtf8(bytes, flush: false));
            if (decoder._byteValues[id] is >= 0 and var b)
            {
                _run.Add((byte)b);
                return "";
            }
            return Emit(EndRun() + Encoding.UTF8.GetString(bytes));
        }

        public string Flush()
        {
            string text = Emit(decoder._byteValues is null ? DecodeUtf8([], flush: true) : EndRun());
            _started = false;
            return text;
        }

        private string EndRun()
        {
            if (_run.Count == 0)
                return "";
            var bytes = _run.ToArray();
            _run.Clear();
            return Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : new string('\uFFFD', bytes.Length);
        }

        private string DecodeUtf8(ReadOnlySpan<byte> bytes, bool flush)
        {
            var chars = new char[bytes.Length + 4];
            return new string(chars, 0, _utf8.GetChars(bytes, chars, flush));
        }

        private string Emit(string text)
        {
            if (_started || text.Length == 0)
                return text;
            _started = true;
            return decoder._stripLeadingSpace && text[0] == ' ' ? text[1..] : text;
        }
    }
}
