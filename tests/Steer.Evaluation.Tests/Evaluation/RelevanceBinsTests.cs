using Steer.Evaluation;
using Steer.Evaluation.Corpus;

namespace Steer.Tests.Evaluation;

/// <summary>Relevance by the word-count rules, and bins that put a relevance on an edge in the upper bin.</summary>
public sealed class RelevanceBinsTests
{
    private static readonly WordCounter Wedding = new(WordCounter.WeddingWords);

    [Theory]
    [InlineData("The bride's wedding-day was long.", 2, 7)]                  // the, bride, s, wedding, day, was, long
    [InlineData("Ships, ships and more SHIPS!", 0, 5)]
    [InlineData("Wedding WEDDING weddings", 3, 3)]
    [InlineData("... --- !!!", 0, 0)]
    public void Relevance_counts_topic_words_and_all_words_by_the_word_count_rules(string text, int topicWords, int words)
    {
        // Act
        var relevance = Relevance.Of(Wedding, text);

        // Assert
        relevance.ShouldBe(new Relevance(topicWords, words));
    }

    [Fact]
    public void A_document_without_words_has_no_relevance_and_no_bin()
    {
        // Act
        var relevance = Relevance.Of(Wedding, "?!");

        // Assert
        double.IsNaN(relevance.Value).ShouldBeTrue();
        new RelevanceBins(0.005).IndexOf(relevance).ShouldBeNull();
    }

    [Theory]
    [InlineData(3, 300, 0.005, 2)]            // 0.01 exactly: the edge between [0.005, 0.010) and [0.010, 0.015) -> upper
    [InlineData(1, 100, 0.005, 2)]
    [InlineData(299, 30_000, 0.005, 1)]       // just below 0.01
    [InlineData(7, 100, 0.01, 7)]             // 0.07 / 0.01 is 7.000000000000001 in binary floating point, 7 here
    [InlineData(3, 10, 0.1, 3)]               // 0.3 / 0.1 is 2.9999999999999996 in binary floating point
    [InlineData(0, 50, 0.005, 0)]
    [InlineData(50, 50, 0.005, 200)]          // relevance 1: the bin above the last edge
    public void A_relevance_on_a_bin_edge_goes_to_the_upper_bin(int topicWords, int words, double width, int bin)
    {
        // Act
        var index = new RelevanceBins(width).IndexOf(new Relevance(topicWords, words));

        // Assert
        index.ShouldBe(bin);
    }

    [Fact]
    public void Bin_edges_are_multiples_of_the_width()
    {
        // Arrange
        var bins = new RelevanceBins(0.005);

        // Act / Assert
        (bins.Lower(2), bins.Upper(2)).ShouldBe((0.01, 0.015));
        (bins.Lower(0), bins.Upper(0)).ShouldBe((0.0, 0.005));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.01)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    [InlineData(1e-9)]
    public void A_width_outside_0_to_1_is_refused(double width)
    {
        // Act
        var error = Should.Throw<SteerException>(() => new RelevanceBins(width));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
    }
}
