using Steer.Steering;
using Steer.Steering.Methods;

namespace Steer.Tests.Cli;

/// <summary>Steering mistakes exit with their code, a specific message on stderr and nothing on stdout.</summary>
public sealed class SteeringErrorSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Prompt = "I hate you because";

    private CliResult Generate(params string[] args) =>
        Cli.Run(["generate", "--model", fixture.Directory, "--max-new-tokens", "3", .. args]);

    private CliResult SteerLoveHate(string layer = "1", string coeff = "5", params string[] args) =>
        Generate(["--prompt", Prompt, "--plus", "Love", "--minus", "Hate", "--layer", layer, "--coeff", coeff, .. args]);

    [Fact]
    public void A_layer_past_the_last_block_exits_with_2_and_names_the_valid_layers()
    {
        // Act
        var result = SteerLoveHate(layer: "2");

        // Assert
        result.ShouldFailWith(2, "layer 2 is out of range", "valid layers are 0..1");
    }

    [Fact]
    public void A_negative_layer_exits_with_2()
    {
        // Act
        var result = SteerLoveHate(layer: "-1");

        // Assert
        result.ShouldFailWith(2, "valid layers are 0..1");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    public void A_coefficient_that_is_not_finite_exits_with_2(string coeff)
    {
        // Act
        var result = SteerLoveHate(coeff: coeff);

        // Assert
        result.ShouldFailWith(2, $"--coeff needs a finite number, got '{coeff}'");
    }

    [Fact]
    public void A_coefficient_that_is_not_finite_in_an_addition_exits_with_2()
    {
        // Act
        var result = Generate("--prompt", Prompt, "--add", "Love:NaN@1");

        // Assert
        result.ShouldFailWith(2, "the coefficient must be a finite number");
    }

    [Fact]
    public void An_unknown_hook_point_as_the_layer_exits_with_2()
    {
        // Act
        var result = SteerLoveHate(layer: "blocks.1.hook_nope");

        // Assert
        result.ShouldFailWith(2, "unknown hook point 'blocks.1.hook_nope'");
    }

    [Fact]
    public void A_prompt_shorter_than_the_vector_exits_with_2_and_gives_both_lengths()
    {
        // Arrange: "Hi" is BOS and one token; "Intent to praise" is BOS and four.
        ActAdd.Pair(fixture.Model, "Intent to praise", "Intent to hurt", 1, 5).Positions.ShouldBe(5);

        // Act
        var result = Generate("--prompt", "Hi", "--plus", "Intent to praise", "--minus", "Intent to hurt", "--layer", "1", "--coeff", "5");

        // Assert
        result.ShouldFailWith(2, "the prompt has 2 tokens", "spans 5 positions", "--short-prompt pad", "truncate");
    }

    [Fact]
    public void A_prompt_shorter_than_the_vector_fails_the_same_way_in_score()
    {
        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--text", "Hi",
            "--plus", "Intent to praise", "--minus", "Intent to hurt", "--layer", "1", "--coeff", "5");

        // Assert
        result.ShouldFailWith(2, "the prompt has 2 tokens", "spans 5 positions");
    }

    [Theory]
    [InlineData("pad")]
    [InlineData("truncate")]
    public void A_prompt_shorter_than_the_vector_succeeds_with_a_short_prompt_policy(string policy)
    {
        // Act
        var result = Generate("--prompt", "Hi", "--plus", "Intent to praise", "--minus", "Intent to hurt", "--layer", "1", "--coeff", "5",
            "--short-prompt", policy);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldStartWith("Hi");
    }

    [Fact]
    public void An_unknown_short_prompt_policy_exits_with_2()
    {
        // Act
        var result = SteerLoveHate(args: ["--short-prompt", "shrug"]);

        // Assert
        result.ShouldFailWith(2, "--short-prompt 'shrug': use error, pad or truncate");
    }

    [Theory]
    [InlineData("Love@1")]
    [InlineData("Love:5")]
    [InlineData("Love:five@1")]
    public void A_malformed_addition_exits_with_2(string addition)
    {
        // Act
        var result = Generate("--prompt", Prompt, "--add", addition);

        // Assert
        result.ShouldFailWith(2, $"--add \"{addition}\": expected \"PROMPT:COEFF@LAYER\"");
    }

    [Fact]
    public void Minus_without_plus_exits_with_2()
    {
        // Act
        var result = Generate("--prompt", Prompt, "--minus", "Hate");

        // Assert
        result.ShouldFailWith(2, "--minus needs --plus");
    }

    [Theory]
    [InlineData("--layer", "1")]
    [InlineData("--coeff", "5")]
    [InlineData(null, null)]
    public void Plus_without_both_layer_and_coeff_exits_with_2(string? option, string? value)
    {
        // Act
        var result = Generate(option is null ? ["--prompt", Prompt, "--plus", "Love"] : ["--prompt", Prompt, "--plus", "Love", option, value!]);

        // Assert
        result.ShouldFailWith(2, "--plus (or --plus-ids) needs --layer and --coeff");
    }

    [Fact]
    public void Layer_and_coeff_without_plus_exit_with_2()
    {
        // Act
        var result = Generate("--prompt", Prompt, "--layer", "1", "--coeff", "5");

        // Assert
        result.ShouldFailWith(2, "--layer and --coeff go with --plus");
    }

    [Theory]
    [InlineData("sideways")]
    [InlineData("1")]
    [InlineData("front,back")]
    public void A_location_that_is_not_front_mid_or_back_exits_with_2(string location)
    {
        // Act
        var result = SteerLoveHate(args: ["--location", location]);

        // Assert
        result.ShouldFailWith(2, $"--location '{location}': use front, mid or back");
    }

    [Theory]
    [InlineData("16")]
    [InlineData("a:b")]
    public void Malformed_dims_exit_with_2(string dims)
    {
        // Act
        var result = SteerLoveHate(args: ["--dims", dims]);

        // Assert
        result.ShouldFailWith(2, $"--dims \"{dims}\": expected START:END");
    }

    [Fact]
    public void A_steered_prompt_too_long_for_the_context_exits_with_2_in_generate()
    {
        // Arrange
        var prompt = string.Join(" ", Enumerable.Repeat("hello", 70));

        // Act
        var result = Generate("--prompt", prompt, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5");

        // Assert
        result.ShouldFailWith(2, "the prompt has 71 tokens", "exceeds the model's context of 64");
    }

    [Fact]
    public void A_steered_prompt_too_long_for_the_context_exits_with_2_in_score()
    {
        // Arrange
        var text = string.Join(" ", Enumerable.Repeat("hello", 70));

        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--text", text, "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5");

        // Assert
        result.ShouldFailWith(2, "the input has 71 tokens but the model's context is 64 tokens");
    }

    [Fact]
    public void A_short_prompt_padded_past_the_context_exits_with_2()
    {
        // Arrange: padding "Hi" to the 5 positions of the vector leaves no room for 60 new tokens.
        string[] args = ["--prompt", "Hi", "--plus", "Intent to praise", "--minus", "Intent to hurt", "--layer", "1", "--coeff", "5",
            "--short-prompt", "pad"];

        // Act
        var result = Cli.Run(["generate", "--model", fixture.Directory, "--max-new-tokens", "60", .. args]);

        // Assert
        result.ShouldFailWith(2, "the prompt has 6 tokens", "exceeds the model's context of 64");
    }

    [Fact]
    public void A_pad_id_outside_the_vocabulary_exits_with_2()
    {
        // Act
        var result = SteerLoveHate(args: ["--pad-id", "50257"]);

        // Assert
        result.ShouldFailWith(2, "pad id 50257 is outside the vocabulary");
    }
}
