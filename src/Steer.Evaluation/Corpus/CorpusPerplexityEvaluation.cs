using Steer.Steering;

namespace Steer.Evaluation.Corpus;

/// <summary>
/// The paper's capability check on a corpus (its OpenWebText experiment): each document is binned by its relevance
/// to a topic, its sentences are scored with BOS, unsteered and steered, exactly as <see cref="PerplexityEvaluation"/>
/// scores a topic (same masking and modes), and each bin gets the token-weighted perplexity ratio. The corpus is
/// streamed: documents are buffered up to <see cref="CorpusPerplexityOptions.BufferCharacters"/>, scored, and only
/// each bin's sums are kept.
/// </summary>
public static class CorpusPerplexityEvaluation
{
    public static CorpusPerplexity Measure(LanguageModel model, CorpusReader corpus, WordCounter counter, SteeringVector vector,
        SteeringOptions? steeringOptions = null, CorpusPerplexityOptions? options = null, IProgress<CorpusProgress>? progress = null)
    {
        options ??= new CorpusPerplexityOptions();
        var bins = new RelevanceBins(options.BinWidth);
        if (options.BufferCharacters < 1)
            throw new SteerException(ErrorKind.InvalidArgument, $"the corpus buffer must hold at least one character, got {options.BufferCharacters}");
        var run = new Run(model, vector, steeringOptions ?? new SteeringOptions(), options.Perplexity);
        var (documents, withoutWords, scored) = (0, 0, 0);
        var share = 0.0;
        var buffered = 0;
        foreach (var document in corpus.Documents(s => share = s))
        {
            if (documents++ % options.Shard.Count != options.Shard.Index) continue;
            if (bins.IndexOf(Relevance.Of(counter, document.Text)) is not { } bin)
            {
                withoutWords++;
                continue;
            }
            run.Add(bin, bins, SentenceSplitter.Split(document.Text));
            buffered += document.Text.Length;
            if (buffered < options.BufferCharacters) continue;
            scored += run.Flush();
            buffered = 0;
            progress?.Report(new CorpusProgress(documents, scored, share));
        }
        scored += run.Flush();
        progress?.Report(new CorpusProgress(documents, scored, 1.0));
        var shardDocuments = documents / options.Shard.Count + (documents % options.Shard.Count > options.Shard.Index ? 1 : 0);
        return new CorpusPerplexity(options.BinWidth, shardDocuments, withoutWords, run.Bins.Values.OrderBy(b => b.Index).ToList());
    }

    /// <summary>The buffered sentences of each bin and every bin's totals so far.</summary>
    private sealed class Run(LanguageModel model, SteeringVector vector, SteeringOptions steeringOptions, PerplexityOptions options)
    {
        private readonly Dictionary<int, List<string>> _pending = [];
        private readonly int _longest = model.Shape.ContextLength - Inserted(model, vector, options);

        public Dictionary<int, CorpusBin> Bins { get; } = [];

        public void Add(int bin, RelevanceBins bins, IReadOnlyList<string> sentences)
        {
            if (!Bins.TryGetValue(bin, out var totals)) totals = new CorpusBin(bin, bins.Lower(bin), bins.Upper(bin), 0, 0, 0, default);
            // A sentence the model cannot read whole is skipped rather than failing a long run at its end.
            var fitting = sentences.Where(s => model.Tokenizer.Encode(s).Count <= _longest).ToList();
            Bins[bin] = totals with { Documents = totals.Documents + 1, Skipped = totals.Skipped + sentences.Count - fitting.Count };
            if (fitting.Count == 0) return;
            if (!_pending.TryGetValue(bin, out var pending)) _pending[bin] = pending = [];
            pending.AddRange(fitting);
        }

        /// <summary>Scores the buffered sentences, one topic per bin, and adds them to the bins' totals; returns how many were scored.</summary>
        public int Flush()
        {
            if (_pending.Count == 0) return 0;
            var topics = _pending.Select(p => new Topic(p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Value)).ToList();
            var bins = _pending.Keys.ToList();
            _pending.Clear();
            using var evaluation = new PerplexityEvaluation(model, topics, options);
            var results = evaluation.Measure(vector, steeringOptions);
            for (var i = 0; i < bins.Count; i++)
            {
                var totals = Bins[bins[i]];
                Bins[bins[i]] = totals with
                {
                    Sentences = totals.Sentences + results[i].Sentences,
                    Skipped = totals.Skipped + results[i].Skipped,
                    Sums = totals.Sums + results[i].Sums,
                };
            }
            return topics.Sum(t => t.Sentences.Count);
        }

        /// <summary>Tokens the steered run puts between BOS and the sentence, which count against the context too.</summary>
        private static int Inserted(LanguageModel model, SteeringVector vector, PerplexityOptions options) => options.Mode switch
        {
            PerplexityMode.Pad => Math.Max(vector.Positions - 1, 0),
            PerplexityMode.Prompting => PerplexityEvaluation.PromptingTokens(model, vector).Length,
            _ => 0,
        };
    }
}
