namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> BPE tokenizer (Llama 2/3, Mistral, Qwen2/2.5/3, TinyLlama, SmolLM2),
/// encoding and decoding as Hugging Face tokenizers does: added tokens cut out of the text first, then the
/// normalizer, the pre-tokenizer and BPE (merges by Microsoft.ML.Tokenizers), with byte fallback.
/// </summary>
/// <remarks>Instances are immutable and safe to use from several threads.</remarks>
internal sealed class HuggingFaceTokenizer : ITokenizer
{
    private readonly AddedTokenSplitter _rawAddedTokens, _normalizedAddedTokens;
    private readonly TextNormalizer? _normalizer;
    private readonly PreTokenizerPipeline _preTokenizer;
    private readonly BpeModel _model;
    private readonly TokenDecoder _decoder;

    internal HuggingFaceTokenizer(IReadOnlyCollection<AddedToken> addedTokens, TextNormalizer? normalizer, PreTokenizerPipeline preTokenizer,
        BpeModel model, TokenDecoder decoder, SpecialTokenIds specialIds, int pairPadId, string source)
    {
        // Hugging Face matches tokens marked normalized in the normalized text, and the others in the raw text first.
        _rawAddedTokens = new AddedTokenSplitter(addedTokens.Where(t => !t.Normalized));
        _normalizedAddedTokens = new AddedTokenSplitter(addedTokens.Where(t => t.Normalized));
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _model = model;
        _decoder = decoder;
        BosId = specialIds.Bos;
        EosId = specialIds.Eos;
        PadId = specialIds.Pad;
        PairPadId = pairPadId;
        Source = source;
        SpecialIds = addedTokens.Where(t => t.Special).Select(t => t.Id)
            .Concat(specialIds.Bos is { } bos ? [bos, specialIds.Eos, specialIds.Pad] : [specialIds.Eos, specialIds.Pad]).ToHashSet();
    }

    /// <summary>
    /// The tokenizer in <paramref name="modelDirectory"/>'s tokenizer.json (with tokenizer_config.json beside it, if
    /// any), or null when there is no tokenizer.json.
    /// </summary>
    /// <exception cref="SteerException">
    /// <see cref="ErrorKind.NotFound"/> if the directory does not exist; <see cref="ErrorKind.InvalidModel"/>, naming
    /// the file and the problem, if a file is malformed or describes a tokenizer Steer does not support.
    /// </exception>
    public static ITokenizer? FromDirectory(string modelDirectory) => HuggingFaceTokenizerLoader.FromDirectory(modelDirectory);

    public string Source { get; }

    public int VocabularySize => _decoder.VocabularySize;

    /// <summary>The token put first by <see cref="Encode"/>; null when this tokenizer adds none (Qwen2, add_bos_token false).</summary>
    public int? BosId { get; }

    public int EosId { get; }

    public int PadId { get; }

    public IReadOnlySet<int> SpecialIds { get; }

    /// <summary>The token of a single space: "Ġ" for byte-level BPE, "▁" for SentencePiece-style BPE.</summary>
    public int PairPadId { get; }

    public IReadOnlyList<int> Encode(string text, bool prependBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (prependBos && BosId is { } bos)
            ids.Add(bos);

        var segments = new List<TextSegment>();
        _rawAddedTokens.Split(text, 0, segments);
        var words = new List<string>();
        var normalizedSegments = new List<TextSegment>();
        foreach (var segment in segments)
        {
            if (segment.AddedId is { } added)
            {
                ids.Add(added);
                continue;
            }
            normalizedSegments.Clear();
            _normalizedAddedTokens.Split(_normalizer?.Apply(segment.Text) ?? segment.Text, segment.Start, normalizedSegments);
            foreach (var piece in normalizedSegments)
            {
                if (piece.AddedId is { } normalizedAdded)
                {
                    ids.Add(normalizedAdded);
                    continue;
                }
                words.Clear();
                _preTokenizer.Apply(piece.Text, atTextStart: piece.Start == 0, words);
                foreach (var word in words)
                    _model.Encode(word, ids);
            }
        }
        return ids.ToArray();
    }

    /// <summary>The text of <paramref name="ids"/>, special tokens included (Hugging Face's skip_special_tokens=False).</summary>
    /// <exception cref="SteerException">With <see cref="ErrorKind.InvalidArgument"/> for an id outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return _decoder.Decode(ids);
    }

    /// <summary>One token's text: "▁" and "Ġ" as spaces, and bytes that are not a whole character as escapes such as <c>\xe4</c>.</summary>
    /// <exception cref="SteerException">With <see cref="ErrorKind.InvalidArgument"/> for an id outside the vocabulary.</exception>
    public string TokenText(int id) => TokenDisplay.Escape(_decoder.DisplayBytes(id));

    public IncrementalDecoder CreateIncrementalDecoder() => _decoder.CreateIncrementalDecoder();
}
