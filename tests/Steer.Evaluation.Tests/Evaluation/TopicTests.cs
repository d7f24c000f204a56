using Steer.Evaluation;
using Steer.Tests.IO;

namespace Steer.Tests.Evaluation;

/// <summary>The shipped evaluation sets and topic files.</summary>
public sealed class TopicTests
{
    [Fact]
    public void The_built_in_sets_hold_at_least_a_hundred_sentences_and_the_defaults_are_weddings_and_shipping()
    {
        // Act
        var topics = Topic.BuiltInNames.Select(Topic.BuiltIn).ToList();

        // Assert
        topics.Sum(t => t.Sentences.Count).ShouldBeGreaterThanOrEqualTo(100);
        Topic.DefaultNames.Select(Topic.BuiltIn).Sum(t => t.Sentences.Count).ShouldBe(100);
        topics.ShouldAllBe(t => t.Sentences.All(s => s.Length > 10));
    }

    [Fact]
    public void The_wedding_set_is_about_weddings_and_the_shipping_and_cooking_sets_are_not()
    {
        // Arrange
        var counter = new WordCounter(WordCounter.WeddingWords);
        int Count(string name) => Topic.BuiltIn(name).Sentences.Sum(counter.Count);

        // Act / Assert
        Count("weddings").ShouldBeGreaterThan(30);
        Count("shipping").ShouldBe(0);
        Count("cooking").ShouldBe(0);
    }

    [Fact]
    public void Every_built_in_sentence_fits_a_64_token_context()
    {
        // Act
        var longest = Topic.BuiltInNames.Select(Topic.BuiltIn).SelectMany(t => t.Sentences)
            .Max(s => Steer.Tokenization.Gpt2Tokenizer.Default.Encode(s).Count);

        // Assert
        longest.ShouldBeLessThan(64);
    }

    [Fact]
    public void A_topic_file_is_split_into_sentences_line_by_line()
    {
        // Arrange
        using var directory = new TempDirectory();
        var path = directory.Write("t.txt", "One ship sailed. Two ships sailed.\r\n\r\nA third line\n");

        // Act
        var topic = Topic.FromFile("ships", path);

        // Assert
        topic.Name.ShouldBe("ships");
        topic.Sentences.ShouldBe(["One ship sailed.", "Two ships sailed.", "A third line"]);
    }

    [Fact]
    public void A_missing_topic_file_or_an_unknown_set_is_not_found()
    {
        // Act / Assert
        Should.Throw<SteerException>(() => Topic.FromFile("x", "/nonexistent/file.txt")).Kind.ShouldBe(ErrorKind.NotFound);
        Should.Throw<SteerException>(() => Topic.BuiltIn("gardening")).Message.ShouldContain("weddings, shipping, cooking");
    }
}
