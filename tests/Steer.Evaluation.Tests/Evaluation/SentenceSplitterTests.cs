using Steer.Evaluation;

namespace Steer.Tests.Evaluation;

/// <summary>The rule-based splitter: end marks before whitespace and a capital, digit or quote; abbreviations and initials kept.</summary>
public sealed class SentenceSplitterTests
{
    [Fact]
    public void A_paragraph_splits_at_full_stops_question_and_exclamation_marks_followed_by_a_capital()
    {
        // Act
        var sentences = SentenceSplitter.Split("The bride arrived. Was the groom late? No! He was early.");

        // Assert
        sentences.ShouldBe(["The bride arrived.", "Was the groom late?", "No!", "He was early."]);
    }

    [Fact]
    public void A_full_stop_before_a_lower_case_word_or_inside_a_number_does_not_end_a_sentence()
    {
        // Act
        var sentences = SentenceSplitter.Split("Rates rose 3.5 percent. the ships waited. Then they sailed.");

        // Assert
        sentences.ShouldBe(["Rates rose 3.5 percent. the ships waited.", "Then they sailed."]);
    }

    [Fact]
    public void Common_abbreviations_and_initials_do_not_end_a_sentence()
    {
        // Act
        var sentences = SentenceSplitter.Split("Mr. Smith met Dr. Jones, e.g. At noon. J. R. Brown came too. Then it rained.");

        // Assert
        sentences.ShouldBe(["Mr. Smith met Dr. Jones, e.g. At noon.", "J. R. Brown came too.", "Then it rained."]);
    }

    [Fact]
    public void Closing_quotes_stay_with_their_sentence_and_a_digit_or_quote_may_start_the_next()
    {
        // Act
        var sentences = SentenceSplitter.Split("She said \"yes.\" 20 guests cheered. \"Wonderful,\" said her aunt.");

        // Assert
        sentences.ShouldBe(["She said \"yes.\"", "20 guests cheered.", "\"Wonderful,\" said her aunt."]);
    }

    [Fact]
    public void Empty_lines_are_skipped_and_every_line_is_split_on_its_own()
    {
        // Act
        var sentences = SentenceSplitter.SplitLines(["First one. Second one.", "", "   ", "Third one"]);

        // Assert
        sentences.ShouldBe(["First one.", "Second one.", "Third one"]);
    }
}
