using Steer.Sharding;

namespace Steer.Evaluation.Corpus;

/// <summary>How a corpus is binned, scored and split.</summary>
public sealed record CorpusPerplexityOptions
{
    /// <summary>The paper's OpenWebText bins: 0.005 of relevance wide.</summary>
    public const double DefaultBinWidth = 0.005;

    public double BinWidth { get; init; } = DefaultBinWidth;

    /// <summary>How each sentence is scored (mode, mask, batch size), as in <c>eval perplexity</c>.</summary>
    public PerplexityOptions Perplexity { get; init; } = new();

    /// <summary>
    /// Documents are read until their text reaches this many characters, then their sentences are scored together:
    /// enough for full batches, and a bound on memory however large the corpus.
    /// </summary>
    public int BufferCharacters { get; init; } = 100_000;

    /// <summary>Score only this shard's documents: document n (from 0, in file order) belongs to shard n mod N.</summary>
    public Shard Shard { get; init; } = Shard.Whole;
}

/// <summary>One relevance bin: [<see cref="Lower"/>, <see cref="Upper"/>), its documents and their sentences' log-prob sums.</summary>
/// <param name="Skipped">Sentences with no token left to score after masking, or longer than the model's context.</param>
public sealed record CorpusBin(int Index, double Lower, double Upper, int Documents, int Sentences, int Skipped, PerplexitySums Sums)
{
    public int Tokens => Sums.Tokens;

    public double PerplexityUnsteered => Sums.PerplexityUnsteered;

    public double PerplexitySteered => Sums.PerplexitySteered;

    /// <summary>Steered over unsteered perplexity, token-weighted over the bin: exp(−Σ(logp_steered − logp_unsteered) / tokens).</summary>
    public double Ratio => Sums.Ratio;

    public static CorpusBin operator +(CorpusBin a, CorpusBin b) =>
        a.Index == b.Index ? a with { Documents = a.Documents + b.Documents, Sentences = a.Sentences + b.Sentences, Skipped = a.Skipped + b.Skipped, Sums = a.Sums + b.Sums }
            : throw new ArgumentException($"bins {a.Index} and {b.Index} are different bins");
}

/// <summary>What a corpus run measured: every non-empty bin, in order of relevance.</summary>
/// <param name="Documents">Documents read (in this shard), those without words included.</param>
/// <param name="WithoutWords">Documents with no word at all, which have no relevance and are not scored.</param>
public sealed record CorpusPerplexity(double BinWidth, int Documents, int WithoutWords, IReadOnlyList<CorpusBin> Bins)
{
    /// <summary>The bins with at least <paramref name="minDocuments"/> documents, and how many bins and documents the rest held.</summary>
    public (IReadOnlyList<CorpusBin> Kept, int DroppedBins, int DroppedDocuments) WithMinDocuments(int minDocuments)
    {
        if (minDocuments < 1) throw new SteerException(ErrorKind.InvalidArgument, $"the minimum number of documents per bin must be at least 1, got {minDocuments}");
        var kept = Bins.Where(b => b.Documents >= minDocuments).ToList();
        var dropped = Bins.Where(b => b.Documents < minDocuments).ToList();
        return (kept, dropped.Count, dropped.Sum(b => b.Documents));
    }

    /// <summary>The shards of one corpus run joined: each bin's counts and sums added in shard order.</summary>
    public static CorpusPerplexity Combine(IReadOnlyList<CorpusPerplexity> shards)
    {
        if (shards.Select(s => s.BinWidth).Distinct().Count() > 1)
            throw new SteerException(ErrorKind.InvalidArgument, "the shards were binned with different widths");
        var bins = shards.SelectMany(s => s.Bins).GroupBy(b => b.Index).OrderBy(g => g.Key).Select(g => g.Aggregate((a, b) => a + b)).ToList();
        return new CorpusPerplexity(shards[0].BinWidth, shards.Sum(s => s.Documents), shards.Sum(s => s.WithoutWords), bins);
    }
}

/// <summary>How far a corpus run is: documents and sentences scored, and the share of the file read (0..1).</summary>
public readonly record struct CorpusProgress(int Documents, int Sentences, double FileShare);
