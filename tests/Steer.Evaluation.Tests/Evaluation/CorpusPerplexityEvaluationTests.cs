using Steer.Evaluation;
using Steer.Evaluation.Corpus;
using Steer.Sharding;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Cli;

namespace Steer.Tests.Evaluation;

/// <summary>Topic-binned perplexity of a streamed corpus on a formula model.</summary>
public sealed class CorpusPerplexityEvaluationTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;
    private SteeringVector Weddings => ActAdd.Pair(Model, " weddings", "", 1, 3);
    private static readonly WordCounter Wedding = new(WordCounter.WeddingWords);

    // Relevance (topic words / words): 2/5 = 0.4, 0, 0, 1/7, no words, 0.
    private static readonly string[] Documents =
    [
        "The bride met the groom.",
        "Ships carry grain. The sea was calm today.",
        "Rice needs water. Bread needs an oven.",
        "The wedding was in May. Everyone sang.",
        "?!",
        "Trains run late. Buses are worse. Walking is best.",
    ];

    private static CorpusReader Corpus(params string[] documents) => CorpusReader.FromText("corpus.txt", string.Join("\n\n", documents));

    private CorpusPerplexity Measure(SteeringVector vector, CorpusPerplexityOptions options) =>
        CorpusPerplexityEvaluation.Measure(Model, Corpus(Documents), Wedding, vector, options: options);

    [Fact]
    public void Documents_go_to_their_relevance_bins_and_empty_bins_are_not_reported()
    {
        // Act
        var result = Measure(Weddings, new CorpusPerplexityOptions { BinWidth = 0.1 });

        // Assert
        result.Documents.ShouldBe(6);
        result.WithoutWords.ShouldBe(1);
        result.Bins.Select(b => (b.Index, b.Documents)).ShouldBe([(0, 3), (1, 1), (4, 1)]);
        result.Bins.Select(b => b.Sentences + b.Skipped).ShouldBe([7, 2, 1]);
        result.Bins[2].Lower.ShouldBe(0.4);
        result.Bins[2].Upper.ShouldBe(0.5);
    }

    [Fact]
    public void A_zero_vector_gives_a_ratio_of_exactly_1_in_every_bin()
    {
        // Act
        var result = Measure(Weddings * 0, new CorpusPerplexityOptions { BinWidth = 0.1, BufferCharacters = 40 });

        // Assert
        result.Bins.ShouldAllBe(b => b.Ratio == 1.0 && b.PerplexitySteered == b.PerplexityUnsteered && b.Tokens > 0);
    }

    [Fact]
    public void Each_bins_ratio_is_the_perplexity_evaluation_of_the_bins_documents_whatever_the_buffer()
    {
        // Arrange: bin 0 holds documents 1, 2 and 5; the reference scores their sentences as one topic.
        var binZero = new Topic("zero", [.. new[] { Documents[1], Documents[2], Documents[5] }.SelectMany(SentenceSplitter.Split)]);
        var expected = new PerplexityEvaluation(Model, [binZero]).Measure(Weddings).Single();

        // Act: a buffer of 40 characters scores the corpus a document or two at a time.
        var small = Measure(Weddings, new CorpusPerplexityOptions { BinWidth = 0.1, BufferCharacters = 40 }).Bins[0];
        var large = Measure(Weddings, new CorpusPerplexityOptions { BinWidth = 0.1 }).Bins[0];

        // Assert
        foreach (var bin in new[] { small, large })
        {
            bin.Tokens.ShouldBe(expected.Tokens);
            bin.Sentences.ShouldBe(expected.Sentences);
            bin.Skipped.ShouldBe(expected.Skipped);
            bin.PerplexityUnsteered.ShouldBe(expected.PerplexityUnsteered, expected.PerplexityUnsteered * 1e-5);
            bin.Ratio.ShouldBe(expected.Ratio, 1e-5);
        }
        Math.Abs(expected.Ratio - 1).ShouldBeGreaterThan(1e-4);
    }

    [Fact]
    public void Bins_under_the_minimum_are_dropped_and_counted()
    {
        // Arrange
        var result = Measure(Weddings * 0, new CorpusPerplexityOptions { BinWidth = 0.1 });

        // Act
        var (kept, droppedBins, droppedDocuments) = result.WithMinDocuments(2);

        // Assert
        kept.Select(b => b.Index).ShouldBe([0]);
        (droppedBins, droppedDocuments).ShouldBe((2, 2));
        result.WithMinDocuments(1).Kept.Count.ShouldBe(3);
        Should.Throw<SteerException>(() => result.WithMinDocuments(0)).Kind.ShouldBe(ErrorKind.InvalidArgument);
    }

    [Fact]
    public void Shards_take_every_nth_document_and_combine_into_the_whole_run()
    {
        // Arrange
        var whole = Measure(Weddings, new CorpusPerplexityOptions { BinWidth = 0.1 });

        // Act
        var shards = Enumerable.Range(0, 4).Select(i => Measure(Weddings, new CorpusPerplexityOptions { BinWidth = 0.1, Shard = new Shard(i, 4) })).ToList();
        var combined = CorpusPerplexity.Combine(shards);

        // Assert: documents 0..5 -> shards 0,1,2,3,0,1.
        shards.Select(s => s.Documents).ShouldBe([2, 2, 1, 1]);
        shards[0].Bins.Select(b => b.Index).ShouldBe([4]);                 // document 4 has no words
        combined.Documents.ShouldBe(whole.Documents);
        combined.WithoutWords.ShouldBe(1);
        combined.Bins.Select(b => (b.Index, b.Documents, b.Sentences, b.Tokens)).ShouldBe(whole.Bins.Select(b => (b.Index, b.Documents, b.Sentences, b.Tokens)));
        combined.Bins.Zip(whole.Bins).ShouldAllBe(p => Math.Abs(p.First.Ratio - p.Second.Ratio) < 1e-5);
    }

    [Fact]
    public void A_sentence_longer_than_the_context_is_skipped_instead_of_failing_the_run()
    {
        // Arrange: the fixture's context is 64 tokens.
        var longSentence = "Ships " + string.Join(" ", Enumerable.Repeat("sail", 80)) + ".";
        var corpus = Corpus("Short one here. " + longSentence);

        // Act
        var bin = CorpusPerplexityEvaluation.Measure(Model, corpus, Wedding, Weddings).Bins.Single();

        // Assert
        (bin.Documents, bin.Sentences, bin.Skipped).ShouldBe((1, 1, 1));
    }
}
