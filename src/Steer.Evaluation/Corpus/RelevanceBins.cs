namespace Steer.Evaluation.Corpus;

/// <summary>
/// A document's relevance to a topic: the share of its words that are topic words, both counted by the word-count
/// rules (<see cref="WordCounter.Words"/>: lower-cased, split at every non-word character).
/// </summary>
public readonly record struct Relevance(int TopicWords, int Words)
{
    public static Relevance Of(WordCounter counter, string text) => new(counter.Count(text), WordCounter.Words(text).Count);

    /// <summary>TopicWords / Words; NaN for a document without words.</summary>
    public double Value => Words == 0 ? double.NaN : (double)TopicWords / Words;
}

/// <summary>
/// Relevance bins of one width: bin i holds relevance in [i·width, (i+1)·width). A relevance exactly on an edge goes
/// to the upper bin; the division is done in decimal, so 3/300 with width 0.005 lands in bin 2, [0.010, 0.015),
/// where binary floating point could give 1.9999….
/// </summary>
public sealed record RelevanceBins
{
    public RelevanceBins(double width)
    {
        if (!(width > 0) || !double.IsFinite(width) || width > 1)
            throw new SteerException(ErrorKind.InvalidArgument, $"the bin width must be above 0 and at most 1 (relevance is a share of words), got {width}");
        if (width < 1e-6)
            throw new SteerException(ErrorKind.InvalidArgument, $"the bin width {width} is below 0.000001: use a wider bin");
        Width = width;
        _width = (decimal)width;
    }

    private readonly decimal _width;

    public double Width { get; }

    /// <summary>The bin of a relevance; null for a document without words.</summary>
    public int? IndexOf(Relevance relevance) =>
        relevance.Words == 0 ? null : (int)decimal.Floor((decimal)relevance.TopicWords / relevance.Words / _width);

    public double Lower(int index) => (double)(index * _width);

    public double Upper(int index) => (double)((index + 1) * _width);
}
