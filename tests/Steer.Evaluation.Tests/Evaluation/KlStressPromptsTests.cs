using Steer.Evaluation;
using Steer.Sharding;
using Steer.Tests.IO;
using Steer.Tokenization;

namespace Steer.Tests.Evaluation;

/// <summary>The KL stress test's prompts: the built-in set, text and JSONL files, and shards.</summary>
public sealed class KlStressPromptsTests
{
    [Fact]
    public void The_built_in_prompts_are_about_fifty_distinct_prompts_each_measurable_from_position_3_with_GPT_2s_tokenizer()
    {
        // Act
        var prompts = KlStressPrompts.BuiltIn();
        var lengths = prompts.Select(p => Gpt2Tokenizer.Default.Encode(p).Count).ToList();

        // Assert
        prompts.Count.ShouldBeInRange(45, 60);
        prompts.Distinct().Count().ShouldBe(prompts.Count);
        lengths.Min().ShouldBeGreaterThanOrEqualTo(4);
        lengths.Max().ShouldBeGreaterThan(20);
        prompts.ShouldAllBe(p => p == p.Trim());
    }

    [Fact]
    public void A_text_file_has_a_prompt_per_non_blank_line_and_a_jsonl_file_a_prompt_or_text_per_object()
    {
        // Arrange
        using var directory = new TempDirectory();
        var text = directory.Write("p.txt", "First prompt here\r\n\n  \nSecond one, with {braces}\n");
        var jsonl = directory.Write("p.jsonl", "{\"prompt\": \"From prompt\"}\n\n{\"text\": \"From text\", \"id\": 3}\n");

        // Act
        var fromText = KlStressPrompts.FromFile(text);
        var fromJsonl = KlStressPrompts.FromFile(jsonl);

        // Assert
        fromText.ShouldBe(["First prompt here", "Second one, with {braces}"]);
        fromJsonl.ShouldBe(["From prompt", "From text"]);
    }

    [Theory]
    [InlineData("missing.txt", null, ErrorKind.NotFound, "no such prompt file")]
    [InlineData("empty.txt", "\n \n", ErrorKind.InvalidArgument, "no prompts in the file")]
    [InlineData("bad.jsonl", "{\"prompt\": \"ok\"}\nnot json\n", ErrorKind.InvalidModel, "bad.jsonl:2: not a JSON line")]
    [InlineData("other.jsonl", "{\"title\": \"x\"}\n", ErrorKind.InvalidModel, "other.jsonl:1: expected an object with a non-empty \"prompt\" or \"text\" string")]
    public void A_missing_empty_or_malformed_file_is_refused_naming_the_problem(string name, string? content, ErrorKind kind, string message)
    {
        // Arrange
        using var directory = new TempDirectory();
        var path = content is null ? directory.File(name) : directory.Write(name, content);

        // Act
        var error = Should.Throw<SteerException>(() => KlStressPrompts.FromFile(path));

        // Assert
        error.Kind.ShouldBe(kind);
        error.Message.ShouldContain(message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(70)]
    public void Shards_take_every_prompt_once_in_order_and_know_the_index_of_their_first(int count)
    {
        // Arrange
        var prompts = KlStressPrompts.BuiltIn();

        // Act
        var shards = Enumerable.Range(0, count).Select(i => KlStressPrompts.ShardOf(prompts, new Shard(i, count))).ToList();

        // Assert
        shards.SelectMany(s => s.Prompts).ShouldBe(prompts);
        shards.Where(s => s.Prompts.Count > 0).ShouldAllBe(s => prompts[s.First] == s.Prompts[0]);
    }
}
