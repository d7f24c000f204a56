using Steer.Steering;

namespace Steer.Evaluation;

/// <summary>How the steered run of a perplexity evaluation sees each sentence.</summary>
public enum PerplexityMode
{
    /// <summary>The vector is added to the sentence's own first positions, [BOS, text].</summary>
    Overlay,
    /// <summary>n − 1 pad tokens (spaces) go after BOS, so the vector covers BOS and the pads and the text starts at position n.</summary>
    Pad,
    /// <summary>No vector: the steering prompt's tokens go after BOS instead (the post's ActAdd-vs-prompting comparison).</summary>
    Prompting,
}

public sealed record PerplexityOptions
{
    public PerplexityMode Mode { get; init; } = PerplexityMode.Overlay;

    /// <summary>Predictions from positions 0..Mask−1 of the steered run are dropped; null is the vector's position count.</summary>
    public int? Mask { get; init; }

    public int TokenBudget { get; init; } = BatchScorer.DefaultTokenBudget;

    /// <summary>
    /// Memory for the unsteered pass's residual stream at every block, which lets overlay-mode steered passes
    /// skip the blocks before the vector's. 0 turns it off; results are the same either way.
    /// </summary>
    public long ResidualCacheBytes { get; init; } = 1L << 30;
}

/// <param name="Sentences">Sentences that had at least one scored token.</param>
/// <param name="Skipped">Sentences too short to score after masking (or shorter than the vector, in overlay mode).</param>
/// <param name="Tokens">Scored tokens, the weight of every average.</param>
public sealed record TopicPerplexity(string Name, int Sentences, int Skipped, int Tokens,
    double PerplexityUnsteered, double PerplexitySteered, double Ratio)
{
    /// <summary>The log-prob sums the perplexities come from, so that shards of a text file can be merged (<see cref="Combine"/>).</summary>
    public PerplexitySums Sums { get; init; }

    public static TopicPerplexity Of(string name, int sentences, int skipped, PerplexitySums sums) =>
        new(name, sentences, skipped, sums.Tokens, sums.PerplexityUnsteered, sums.PerplexitySteered, sums.Ratio) { Sums = sums };

    /// <summary>
    /// The topics of several shards of the same texts, each topic's sentences, tokens and sums added in shard order:
    /// what one process measures, up to the order of the floating-point sums.
    /// </summary>
    public static IReadOnlyList<TopicPerplexity> Combine(IReadOnlyList<IReadOnlyList<TopicPerplexity>> shards) =>
        shards[0].Select((topic, t) =>
        {
            var parts = shards.Select(s => s[t].Name == topic.Name ? s[t]
                : throw new SteerException(ErrorKind.InvalidArgument, $"the shards list other topics ('{s[t].Name}' against '{topic.Name}')")).ToList();
            return Of(topic.Name, parts.Sum(p => p.Sentences), parts.Sum(p => p.Skipped), parts.Select(p => p.Sums).Aggregate((a, b) => a + b));
        }).ToList();
}

/// <summary>
/// Perplexity of each topic's sentences, unsteered and steered, each sentence scored with BOS in batches. The
/// unsteered run always scores [BOS, sentence]; it is computed once and reused by every <see cref="Measure"/>
/// (a sweep measures many vectors against one baseline). In overlay mode the steered run scores the very same
/// batches, so a zero vector gives a ratio of exactly 1, and it starts at the vector's first block.
/// </summary>
public sealed class PerplexityEvaluation : IDisposable
{
    private readonly LanguageModel _model;
    private readonly PerplexityOptions _options;
    private readonly BatchScorer _scorer;
    private readonly List<(string Topic, IReadOnlyList<int> Ids)> _sentences = [];
    private readonly IReadOnlyList<Topic> _topics;
    private ScoringPlan? _plan;
    private double[][]? _baseline;

    public PerplexityEvaluation(LanguageModel model, IReadOnlyList<Topic> topics, PerplexityOptions? options = null)
    {
        _model = model;
        _options = options ?? new PerplexityOptions();
        if (_options.Mask is < 0) throw new SteerException(ErrorKind.InvalidArgument, $"the mask must not be negative, got {_options.Mask}");
        _scorer = new BatchScorer(model, _options.TokenBudget);
        if (topics.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "no topics to evaluate");
        if (topics.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new SteerException(ErrorKind.InvalidArgument, $"the topic name '{twice.Key}' is given more than once");
        _topics = topics;
        foreach (var topic in topics)
            foreach (var sentence in topic.Sentences)
                _sentences.Add((topic.Name, model.Tokenizer.Encode(sentence)));
    }

    public PerplexityOptions Options => _options;

    public IReadOnlyList<string> Topics => _topics.Select(t => t.Name).ToList();

    /// <summary>The mask used with <paramref name="vector"/>: the given one, else the vector's position count (as in the post).</summary>
    public int MaskFor(SteeringVector vector) => _options.Mask ?? vector.Positions;

    /// <summary>
    /// A steered scoring pass's cost, in blocks, with the vector at <paramref name="layer"/>: in overlay mode the pass
    /// starts at the vector's block (the unsteered pass keeps every block's input), else it runs every block; then the
    /// unembedding, which costs vocabulary × width parameters against a block's share of the rest.
    /// </summary>
    public double SteeredPassCost(int layer)
    {
        var shape = _model.Shape;
        var unembedding = (double)shape.VocabSize * shape.ModelDim;
        var perBlock = Math.Max(1.0, (_model.ParameterCount - unembedding) / shape.Layers);
        var blocks = _options.Mode == PerplexityMode.Overlay ? shape.Layers - Math.Clamp(layer, 0, shape.Layers) : shape.Layers;
        return blocks + unembedding / perBlock;
    }

    public IReadOnlyList<TopicPerplexity> Measure(SteeringVector vector, SteeringOptions? steeringOptions = null)
    {
        steeringOptions ??= new SteeringOptions();
        _plan ??= new ScoringPlan(_scorer, _sentences.Select(s => s.Ids).ToList(), _options.ResidualCacheBytes);
        _baseline ??= _plan.Score();
        var mask = MaskFor(vector);
        var inserted = _options.Mode switch
        {
            PerplexityMode.Pad => Enumerable.Repeat(steeringOptions.PadId ?? _model.Tokenizer.PairPadId, Math.Max(vector.Positions - 1, 0)).ToArray(),
            PerplexityMode.Prompting => PromptingTokens(_model, vector),
            _ => [],
        };
        var used = new List<int>();
        for (var i = 0; i < _sentences.Count; i++)
        {
            var ids = _sentences[i].Ids;
            var fits = _options.Mode != PerplexityMode.Overlay || ids.Count >= vector.Positions || steeringOptions.ShortPrompt == ShortPromptPolicy.Truncate;
            if (fits && PerplexityMask.FirstScoredToken(mask, inserted.Length) <= ids.Count - 1) used.Add(i);
        }
        var steered = _options.Mode switch
        {
            // Every sentence, in the baseline's batches: the unused ones are simply not read.
            PerplexityMode.Overlay => used.Count == 0 ? [] : _plan.Score(vector, steeringOptions),
            _ => Score(used.Select(i => (IReadOnlyList<int>)[_sentences[i].Ids[0], .. inserted, .. _sentences[i].Ids.Skip(1)]).ToList(),
                _options.Mode == PerplexityMode.Prompting ? null : vector, steeringOptions),
        };

        var totals = _topics.ToDictionary(t => t.Name, _ => new PerplexityTotals());
        var counts = _topics.ToDictionary(t => t.Name, _ => 0);
        for (var u = 0; u < used.Count; u++)
        {
            var (topic, ids) = _sentences[used[u]];
            var row = _options.Mode == PerplexityMode.Overlay ? used[u] : u;
            PerplexityMask.Accumulate(totals[topic], _baseline[used[u]], steered[row], ids.Count - 1, mask, inserted.Length);
            counts[topic]++;
        }
        return _topics.Select(t => TopicPerplexity.Of(t.Name, counts[t.Name], t.Sentences.Count - counts[t.Name], totals[t.Name].Sums)).ToList();
    }

    public void Dispose() => _plan?.Dispose();

    private double[][] Score(IReadOnlyList<IReadOnlyList<int>> sequences, SteeringVector? vector, SteeringOptions options) =>
        sequences.Count == 0 ? [] : _scorer.TokenLogprobs(sequences, vector, options);

    /// <summary>
    /// What prompting puts after BOS: the added prompt of every addition with a positive coefficient (the
    /// subtracted one when the coefficient is negative), without BOS, in order. For " weddings" − "" that is
    /// the one token " weddings".
    /// </summary>
    public static int[] PromptingTokens(LanguageModel model, SteeringVector vector)
    {
        var tokens = vector.Metadata.Additions
            .Select(a => a.Coeff >= 0 ? a.Plus : a.Minus)
            .Where(prompt => !string.IsNullOrEmpty(prompt))
            .SelectMany(prompt => model.Tokenizer.Encode(prompt!, prependBos: false))
            .ToArray();
        return tokens.Length > 0 ? tokens
            : throw new SteerException(ErrorKind.InvalidArgument,
                "prompting mode needs a steering prompt to insert: build the vector from --plus/--minus, --add or a recipe, not a bare vector file");
    }
}
