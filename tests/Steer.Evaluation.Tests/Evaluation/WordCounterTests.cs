using Steer.Evaluation;

namespace Steer.Tests.Evaluation;

/// <summary>The post's word-count rules: lower-case, \W becomes a space, whole words only.</summary>
public sealed class WordCounterTests
{
    private static readonly WordCounter Wedding = new(WordCounter.WeddingWords);

    [Theory]
    [InlineData("The wedding was lovely", 1)]
    [InlineData("WEDDING Wedding wedding", 3)]
    [InlineData("a wedding's cake; the bride-to-be", 2)]
    [InlineData("Weddings, weddings!", 2)]
    [InlineData("wedded bliss, a wedding_planner, remarried", 0)]
    [InlineData("They wed. Then married, then a honeymoon with the groom", 4)]
    [InlineData("", 0)]
    public void Words_are_counted_whole_and_case_insensitively_after_punctuation_becomes_space(string text, int count)
    {
        // Act
        var counted = Wedding.Count(text);

        // Assert
        counted.ShouldBe(count);
    }

    [Fact]
    public void The_post_wedding_list_has_its_nine_words()
    {
        // Assert
        WordCounter.WeddingWords.ShouldBe(["wedding", "weddings", "wed", "marry", "married", "marriage", "bride", "groom", "honeymoon"]);
    }

    [Fact]
    public void The_summary_reports_the_mean_count_and_the_fraction_with_at_least_one()
    {
        // Act
        var summary = WordCountSummary.Of(Wedding, ["a wedding and a bride", "nothing here", "the groom", "ships"]);

        // Assert: counts 2, 0, 1, 0.
        summary.Completions.ShouldBe(4);
        summary.MeanCount.ShouldBe(0.75);
        summary.FractionWithAny.ShouldBe(0.5);
    }

    [Fact]
    public void Given_words_are_lower_cased_and_a_word_with_punctuation_is_refused()
    {
        // Act
        var counter = new WordCounter(["Ship", " CARGO "]);

        // Assert
        counter.Count("ship cargo SHIPS").ShouldBe(2);
        Should.Throw<SteerException>(() => new WordCounter(["bride-to-be"])).Message.ShouldContain("single words");
    }
}
