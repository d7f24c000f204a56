using Steer.Generation;

namespace Steer.Tests.Cli;

public sealed class GenerateCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Prompt = "I hate you because";
    private LanguageModel Model => fixture.Model;

    [Fact]
    public void Generate_json_has_the_prompt_ids_and_one_completion_with_ids_and_their_text()
    {
        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--max-new-tokens", "6", "--seed", "3", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("prompt_ids").Ints().ShouldBe([50256, 40, 5465, 345, 780]);
        var completion = json.GetProperty("completions").EnumerateArray().ShouldHaveSingleItem();
        var ids = completion.GetProperty("ids").Ints();
        ids.Length.ShouldBeInRange(1, 6);
        completion.GetProperty("text").GetString().ShouldBe(Model.Tokenizer.Decode(ids));
        json.GetProperty("seed").GetInt64().ShouldBe(3);
    }

    [Fact]
    public void Generate_at_temperature_zero_gives_the_greedy_ids_of_the_library()
    {
        // Arrange
        var promptIds = Model.Tokenizer.Encode(Prompt);
        var expected = Model.Generate([promptIds], new GenerationOptions { MaxNewTokens = 10, Sampling = SamplingOptions.Greedy });

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--max-new-tokens", "10", "--temperature", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var completion = result.Json().GetProperty("completions").EnumerateArray().ShouldHaveSingleItem();
        completion.GetProperty("ids").Ints().ShouldBe(expected.Completions.Single());
    }

    [Fact]
    public void Generate_with_dtype_int8_gives_the_greedy_ids_of_the_library_loaded_in_int8()
    {
        // Arrange
        using var int8 = LanguageModel.Load(fixture.Directory, new Steer.Models.ModelOptions { DType = "int8" });
        var expected = int8.Generate([int8.Tokenizer.Encode(Prompt)], new GenerationOptions { MaxNewTokens = 10, Sampling = SamplingOptions.Greedy });

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--dtype", "int8", "--prompt", Prompt, "--max-new-tokens", "10",
            "--temperature", "0", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "0", "--json");

        // Assert: a zero coefficient steers nothing, in int8 as in float32.
        result.ExitCode.ShouldBe(0, result.Error);
        var completion = result.Json().GetProperty("completions").EnumerateArray().ShouldHaveSingleItem();
        completion.GetProperty("ids").Ints().ShouldBe(expected.Completions.Single());
    }

    [Fact]
    public void Generate_with_a_seed_repeats_exactly_and_equals_the_library_with_that_seed()
    {
        // Arrange
        string[] args = ["generate", "--model", fixture.Directory, "--prompt", Prompt, "-n", "3", "--seed", "5", "--max-new-tokens", "8", "--json"];
        var expected = Model.Generate([Model.Tokenizer.Encode(Prompt)], new GenerationOptions { Count = 3, Seed = 5, MaxNewTokens = 8 });

        // Act
        var first = Cli.Run(args);
        var second = Cli.Run(args);

        // Assert
        first.ExitCode.ShouldBe(0, first.Error);
        second.Output.ShouldBe(first.Output);
        var completions = first.Json().GetProperty("completions").EnumerateArray().Select(c => c.GetProperty("ids").Ints()).ToList();
        completions.Count.ShouldBe(3);
        completions.ShouldBe(expected.Completions);
    }

    [Fact]
    public void Generate_completions_hold_only_the_new_tokens_and_max_new_tokens_of_them()
    {
        // Arrange
        var promptIds = Model.Tokenizer.Encode(Prompt);

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--max-new-tokens", "4", "--temperature", "0", "--json");

        // Assert: each id is the greedy choice after the prompt and the ids before it, recomputed without the cache.
        result.ExitCode.ShouldBe(0, result.Error);
        var ids = result.Json().GetProperty("completions")[0].GetProperty("ids").Ints();
        ids.Length.ShouldBe(4);
        var sequence = promptIds.ToList();
        foreach (var id in ids)
        {
            using var logits = Model.Logits(sequence);
            id.ShouldBe((int)logits[-1].argmax().item<long>());
            sequence.Add(id);
        }
    }

    [Fact]
    public void Generate_with_ids_uses_them_literally_as_the_prompt()
    {
        // Arrange
        var expected = Model.Generate([[1, 2, 3]], new GenerationOptions { MaxNewTokens = 5, Sampling = SamplingOptions.Greedy });

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--ids", "1,2,3", "--max-new-tokens", "5", "--temperature", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("prompt_ids").Ints().ShouldBe([1, 2, 3]);
        json.GetProperty("completions")[0].GetProperty("ids").Ints().ShouldBe(expected.Completions.Single());
    }

    [Fact]
    public void Generate_streaming_one_completion_prints_the_prompt_text_then_the_completion_text()
    {
        // Arrange
        var promptIds = Model.Tokenizer.Encode(Prompt);
        var expected = Model.Generate([promptIds], new GenerationOptions { MaxNewTokens = 12, Seed = 7 }).Completions.Single();

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--max-new-tokens", "12", "--seed", "7");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBe(Prompt + Model.Tokenizer.Decode(expected) + Environment.NewLine);
    }

    [Fact]
    public void Generate_streaming_ends_with_an_unfinished_character_as_the_replacement_character_like_the_json_text()
    {
        // Arrange: for this model the greedy continuation of token 511 is token 160, the lone byte 0xE4 that
        // starts a three-byte character, so the stream ends in the middle of a character.
        var expected = Model.Generate([[511]], new GenerationOptions { MaxNewTokens = 1, Sampling = SamplingOptions.Greedy }).Completions.Single();
        expected.ShouldBe([160]);

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--ids", "511", "--max-new-tokens", "1", "--temperature", "0");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBe(Model.Tokenizer.Decode([511]) + "\uFFFD" + Environment.NewLine);
        Model.Tokenizer.Decode(expected).ShouldBe("\uFFFD");
    }

    [Fact]
    public void Generate_streaming_with_no_new_tokens_prints_just_the_prompt()
    {
        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "--max-new-tokens", "0");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBe(Prompt + Environment.NewLine);
    }

    [Fact]
    public void Generate_several_completions_labels_each_with_its_own_generator_and_what_repeats_it()
    {
        // Arrange
        var expected = Model.Generate([Model.Tokenizer.Encode(Prompt)], new GenerationOptions { Count = 2, MaxNewTokens = 5, Seed = 9 });

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "-n", "2", "--max-new-tokens", "5", "--seed", "9");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldBe(string.Concat(expected.Completions.Select((ids, i) =>
            $"--- completion {i + 1} of 2 (generator {i + 1} of seed 9: --seed 9 -n 2 repeats it) ---{Environment.NewLine}{Prompt}{Model.Tokenizer.Decode(ids)}{Environment.NewLine}")));
    }
}
