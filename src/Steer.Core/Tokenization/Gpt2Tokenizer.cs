using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Steer.Tokenization;

/// <summary>
/// GPT-2 byte-level BPE: text to token ids and back, matching the original GPT-2 encoder and Hugging Face.
/// </summary>
/// <remarks>Instances are immutable and safe to use from several threads.</remarks>
public sealed class Gpt2Tokenizer : ITokenizer
{
    /// <summary>The id of <c>&lt;|endoftext|&gt;</c> in GPT-2's vocabulary, which GPT-2 also uses as its BOS token.</summary>
    public const int EndOfText = 50256;

    /// <summary>The space token, which the ActAdd post right-padded the shorter prompt of a pair with.</summary>
    public const int Space = 220;

    private static readonly Lazy<Gpt2Tokenizer> DefaultInstance =
        new(() => new Gpt2Tokenizer(TokenizerFiles.LoadBuiltIn()), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Tokenizer _encoder;
    private readonly byte[]?[] _tokenBytes;

    private Gpt2Tokenizer(TokenizerData data)
    {
        _encoder = data.Encoder;
        _tokenBytes = data.TokenBytes;
        EndOfTextId = data.EndOfTextId;
        Source = data.Source;
    }

    /// <summary>The standard GPT-2 tokenizer from the data built into Steer, created on first use.</summary>
    /// <exception cref="SteerException">With <see cref="ErrorKind.Environment"/> if the built-in data cannot be read.</exception>
    public static Gpt2Tokenizer Default => DefaultInstance.Value;

    /// <summary>
    /// The tokenizer stored with a model: <c>tokenizer.json</c> if present, else <c>vocab.json</c> with
    /// <c>merges.txt</c>, else <see cref="Default"/>.
    /// </summary>
    /// <param name="modelDirectory">The directory holding the model's files.</param>
    /// <exception cref="SteerException">
    /// <see cref="ErrorKind.NotFound"/> if the directory does not exist; <see cref="ErrorKind.InvalidModel"/> if a
    /// tokenizer file is malformed, is not GPT-2 style byte-level BPE, or only one of vocab.json and merges.txt exists.
    /// </exception>
    public static Gpt2Tokenizer FromDirectory(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        if (!Directory.Exists(modelDirectory))
            throw new SteerException(ErrorKind.NotFound, $"Model directory {modelDirectory} does not exist.");

        string tokenizerJson = Path.Combine(modelDirectory, "tokenizer.json");
        if (File.Exists(tokenizerJson))
            return new Gpt2Tokenizer(TokenizerFiles.LoadTokenizerJson(tokenizerJson));

        string vocab = Path.Combine(modelDirectory, "vocab.json"), merges = Path.Combine(modelDirectory, "merges.txt");
        return (File.Exists(vocab), File.Exists(merges)) switch
        {
            (true, true) => new Gpt2Tokenizer(TokenizerFiles.LoadVocabAndMerges(vocab, merges)),
            (false, false) => Default,
            // Falling back to the built-in vocabulary here could silently give a model the wrong ids.
            (true, false) => throw new SteerException(ErrorKind.InvalidModel, $"{modelDirectory} has vocab.json but no merges.txt; BPE needs both."),
            (false, true) => throw new SteerException(ErrorKind.InvalidModel, $"{modelDirectory} has merges.txt but no vocab.json; BPE needs both."),
        };
    }

    /// <summary>Where the vocabulary came from: "built-in gpt2", "tokenizer.json" or "vocab.json+merges.txt".</summary>
    public string Source { get; }

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c> in this vocabulary (<see cref="EndOfText"/> for GPT-2), used as BOS.</summary>
    public int EndOfTextId { get; }

    public int VocabularySize => _tokenBytes.Length;

    /// <summary>GPT-2 starts a document with <c>&lt;|endoftext|&gt;</c>.</summary>
    public int? BosId => EndOfTextId;

    public int EosId => EndOfTextId;

    /// <summary>GPT-2 has no pad token; Hugging Face pads its batches with end-of-text, as Steer does.</summary>
    public int PadId => EndOfTextId;

    public int PairPadId => Space;

    /// <summary>GPT-2's only special token is <c>&lt;|endoftext|&gt;</c>.</summary>
    public IReadOnlySet<int> SpecialIds => new HashSet<int> { EndOfTextId };

    /// <summary>Splits <paramref name="text"/> into token ids.</summary>
    /// <param name="text">The text; the literal <c>&lt;|endoftext|&gt;</c> in it becomes that special token, as in Hugging Face.</param>
    /// <param name="prependBos">Whether to put <see cref="EndOfTextId"/> first, as GPT-2 expects at the start of a document.</param>
    public IReadOnlyList<int> Encode(string text, bool prependBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _encoder.EncodeToIds(text);
        if (!prependBos)
            return ids.ToArray();

        var result = new int[ids.Count + 1];
        result[0] = EndOfTextId;
        for (int i = 0; i < ids.Count; i++)
            result[i + 1] = ids[i];
        return result;
    }

    /// <summary>The text of a sequence of token ids; bytes that are not valid UTF-8 become U+FFFD.</summary>
    /// <exception cref="SteerException">With <see cref="ErrorKind.InvalidArgument"/> for an id outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new ArrayBufferWriter<byte>();
        foreach (int id in ids)
            bytes.Write(TokenBytes(id));
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <summary>
    /// The text of one token, such as <c>" hate"</c>. Bytes that are not a complete UTF-8 character (GPT-2 splits
    /// many characters across tokens) are shown as escapes such as <c>\xe2</c>.
    /// </summary>
    /// <exception cref="SteerException">With <see cref="ErrorKind.InvalidArgument"/> for an id outside the vocabulary.</exception>
    public string TokenText(int id) => TokenDisplay.Escape(TokenBytes(id));

    /// <summary>A decoder that turns ids into text one at a time, for streaming generated tokens.</summary>
    public IncrementalDecoder CreateIncrementalDecoder() => new(TokenBytes);

    /// <summary>The raw bytes of one token.</summary>
    internal ReadOnlySpan<byte> TokenBytes(int id)
    {
        if ((uint)id >= (uint)_tokenBytes.Length || _tokenBytes[id] is not { } bytes)
        {
            throw new SteerException(ErrorKind.InvalidArgument,
                $"Token id {id} is not in the vocabulary ({Source}); valid ids are 0 to {_tokenBytes.Length - 1}.");
        }
        return bytes;
    }
}
