using Steer.Generation;
using Steer.Steering;
using Steer.Steering.Methods;

namespace Steer.Tests.Cli;

/// <summary>generate and score with --plus/--minus/--layer/--coeff give the library's steered results on the same model.</summary>
public sealed class SteeredGenerateSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Prompt = "I hate you because";
    private LanguageModel Model => fixture.Model;

    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 10, Sampling = SamplingOptions.Greedy };

    private CliResult Run(string command, params string[] args) => Cli.Run([command, "--model", fixture.Directory, .. args]);

    [Fact]
    public void Steered_greedy_generate_gives_the_ids_of_the_library_with_the_same_pair_and_they_differ_from_the_unsteered_ids()
    {
        // Arrange
        var promptIds = Model.Tokenizer.Encode(Prompt);
        var steered = Model.Generate([promptIds], Greedy, ActAdd.Pair(Model, "Love", "Hate", 1, 5)).Completions.Single();
        var unsteered = Model.Generate([promptIds], Greedy).Completions.Single();

        // Act
        var result = Run("generate", "--prompt", Prompt, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5",
            "--temperature", "0", "--max-new-tokens", "10", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var ids = result.Json().GetProperty("completions").EnumerateArray().ShouldHaveSingleItem().GetProperty("ids").Ints();
        ids.ShouldBe(steered);
        ids.ShouldNotBe(unsteered);
    }

    [Fact]
    public void Steered_generate_json_describes_the_steering_addition_and_its_front_location()
    {
        // Act
        var result = Run("generate", "--prompt", Prompt, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5",
            "--temperature", "0", "--max-new-tokens", "3", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var steering = result.Json().GetProperty("steering");
        var addition = steering.GetProperty("additions").EnumerateArray().ShouldHaveSingleItem();
        addition.GetProperty("plus").GetString().ShouldBe("Love");
        addition.GetProperty("minus").GetString().ShouldBe("Hate");
        addition.GetProperty("coeff").GetDouble().ShouldBe(5);
        addition.GetProperty("hook_point").GetString().ShouldBe("blocks.1.hook_resid_pre");
        addition.GetProperty("pad_id").GetInt32().ShouldBe(220);
        steering.GetProperty("location").GetString().ShouldBe("front");
        steering.GetProperty("short_prompt").GetString().ShouldBe("error");
        steering.GetProperty("positions").GetInt32().ShouldBe(ActAdd.Pair(Model, "Love", "Hate", 1, 5).Positions);
    }

    [Fact]
    public void Unsteered_generate_json_has_no_steering_object()
    {
        // Act
        var result = Run("generate", "--prompt", Prompt, "--temperature", "0", "--max-new-tokens", "2", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().TryGetProperty("steering", out _).ShouldBeFalse();
    }

    [Fact]
    public void Steered_score_gives_the_token_logprobs_of_the_library_with_the_same_vector()
    {
        // Arrange
        var ids = Model.Tokenizer.Encode(Prompt);
        var expected = Model.Score(ids, ActAdd.Pair(Model, "Love", "Hate", 1, 5));
        var unsteered = Model.Score(ids);

        // Act
        var result = Run("score", "--text", Prompt, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("ids").Ints().ShouldBe(ids);
        var logprobs = json.GetProperty("token_logprobs").Doubles();
        logprobs.ShouldBe(expected.TokenLogprobs.ToArray());
        logprobs.ShouldNotBe(unsteered.TokenLogprobs.ToArray());
        json.GetProperty("perplexity").GetDouble().ShouldBe(expected.Perplexity);
        json.GetProperty("steering").GetProperty("additions")[0].GetProperty("plus").GetString().ShouldBe("Love");
    }

    [Fact]
    public void Steered_score_with_coefficient_zero_gives_exactly_the_unsteered_token_logprobs()
    {
        // Arrange
        var expected = Model.Score(Model.Tokenizer.Encode(Prompt));

        // Act
        var result = Run("score", "--text", Prompt, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "0", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("token_logprobs").Doubles().ShouldBe(expected.TokenLogprobs.ToArray());
    }

    [Fact]
    public void Steered_score_without_json_notes_nothing_and_prints_the_steered_perplexity()
    {
        // Arrange
        var expected = Model.Score(Model.Tokenizer.Encode(Prompt), ActAdd.Pair(Model, "Love", "Hate", 1, 5));

        // Act
        var result = Run("score", "--text", Prompt, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldBeEmpty();
        result.Output.ShouldContain($"perplexity {expected.Perplexity:G6} over 4 predicted tokens");
    }

    [Fact]
    public void Steered_generate_with_a_hook_point_name_as_the_layer_equals_the_layer_number()
    {
        // Act
        var byNumber = Run("generate", "--prompt", Prompt, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5",
            "--temperature", "0", "--max-new-tokens", "6", "--json");
        var byName = Run("generate", "--prompt", Prompt, "--plus", "Love", "--minus", "Hate", "--layer", "blocks.1.hook_resid_pre",
            "--coeff", "5", "--temperature", "0", "--max-new-tokens", "6", "--json");

        // Assert
        byNumber.ExitCode.ShouldBe(0, byNumber.Error);
        byName.ExitCode.ShouldBe(0, byName.Error);
        byName.Json().GetProperty("completions")[0].GetProperty("ids").Ints()
            .ShouldBe(byNumber.Json().GetProperty("completions")[0].GetProperty("ids").Ints());
    }

    [Fact]
    public void A_short_prompt_padded_by_the_policy_gives_the_library_ids_with_the_pad_policy()
    {
        // Arrange
        var vector = ActAdd.Pair(Model, "Intent to praise", "Intent to hurt", 1, 5);
        var options = new SteeringOptions { ShortPrompt = ShortPromptPolicy.Pad };
        var expected = Model.Generate([Model.Tokenizer.Encode("Hi")], Greedy, vector, options).Completions.Single();

        // Act
        var result = Run("generate", "--prompt", "Hi", "--plus", "Intent to praise", "--minus", "Intent to hurt", "--layer", "1",
            "--coeff", "5", "--short-prompt", "pad", "--temperature", "0", "--max-new-tokens", "10", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("prompt_ids").Ints().ShouldBe([50256, 17250]);
        json.GetProperty("completions")[0].GetProperty("ids").Ints().ShouldBe(expected);
        json.GetProperty("steering").GetProperty("short_prompt").GetString().ShouldBe("pad");
    }

    [Fact]
    public void A_short_prompt_truncating_the_vector_gives_the_library_ids_with_the_truncate_policy()
    {
        // Arrange
        var vector = ActAdd.Pair(Model, "Intent to praise", "Intent to hurt", 1, 5);
        var options = new SteeringOptions { ShortPrompt = ShortPromptPolicy.Truncate };
        var expected = Model.Generate([Model.Tokenizer.Encode("Hi")], Greedy, vector, options).Completions.Single();

        // Act
        var result = Run("generate", "--prompt", "Hi", "--plus", "Intent to praise", "--minus", "Intent to hurt", "--layer", "1",
            "--coeff", "5", "--short-prompt", "truncate", "--temperature", "0", "--max-new-tokens", "10", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("completions")[0].GetProperty("ids").Ints().ShouldBe(expected);
    }
}
