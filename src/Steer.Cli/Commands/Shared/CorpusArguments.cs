using System.CommandLine;
using Steer.Evaluation;
using Steer.Evaluation.Corpus;

namespace Steer.Cli.Commands.Shared;

/// <summary>The corpus of a topic-binned perplexity run (--corpus, --words, --bin-width, --min-docs).</summary>
internal sealed class CorpusArguments
{
    /// <summary>Small corpora have thin bins; the paper kept only bins of more than 1000 OpenWebText documents (--min-docs 1001).</summary>
    public const int DefaultMinDocuments = 5;

    private readonly Option<string?> _corpus = new("--corpus")
    {
        Description = "Score a corpus instead of topics: JSONL ({\"text\": ...} per line) or plain text with documents separated by blank lines, " +
            "streamed; each document is binned by its share of topic words, and each bin gets its perplexity ratio.",
    };
    private readonly Option<string?> _words = new("--words")
    {
        Description = $"With --corpus: the topic words, comma-separated, counted as 'eval wordcount' counts them. Default: the post's wedding words ({string.Join(",", WordCounter.WeddingWords)}).",
    };
    private readonly Option<double?> _binWidth = NumberOption.OptionalDouble("--bin-width",
        $"With --corpus: the width of the relevance bins. Default: {CorpusPerplexityOptions.DefaultBinWidth}, the paper's.");
    private readonly Option<int?> _minDocs = NumberOption.OptionalInt("--min-docs",
        $"With --corpus: bins with fewer documents are dropped (and counted). Default: {DefaultMinDocuments}.");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _corpus, _words, _binWidth, _minDocs }) command.Add(option);
    }

    /// <summary>The corpus path, or null for a topic run; a corpus-only option without --corpus is refused.</summary>
    public string? Corpus(ParseResult parse)
    {
        var path = parse.GetValue(_corpus);
        if (path is null && (parse.GetValue(_words) is not null || parse.GetValue(_binWidth) is not null || parse.GetValue(_minDocs) is not null))
            throw new SteerException(ErrorKind.InvalidArgument, "--words, --bin-width and --min-docs go with --corpus");
        return path;
    }

    public WordCounter Counter(ParseResult parse) => WordCountArguments.CounterOf(parse.GetValue(_words));

    public double BinWidth(ParseResult parse) => new RelevanceBins(parse.GetValue(_binWidth) ?? CorpusPerplexityOptions.DefaultBinWidth).Width;

    public int MinDocuments(ParseResult parse) => parse.GetValue(_minDocs) is { } n
        ? n >= 1 ? n : throw new SteerException(ErrorKind.InvalidArgument, $"--min-docs must be at least 1, got {n}")
        : DefaultMinDocuments;
}
