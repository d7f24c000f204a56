namespace Steer.Tests.Cli;

/// <summary>Mistakes on the command line exit with 2, a specific message on stderr, and nothing on stdout.</summary>
public sealed class UsageErrorSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private CliResult Generate(params string[] args) => Cli.Run(["generate", "--model", fixture.Directory, .. args]);

    [Fact]
    public void An_unknown_option_exits_with_2_and_names_the_option()
    {
        // Act
        var result = Generate("--prompt", "Hi", "--bogus");

        // Assert
        result.ShouldFailWith(2, "steer: error: unknown option '--bogus'", "steer generate --help");
    }

    [Fact]
    public void An_unknown_command_exits_with_2()
    {
        // Act
        var result = Cli.Run("summon", "--json");

        // Assert
        result.ShouldFailWith(2, "steer: error: unknown command 'summon'");
    }

    [Fact]
    public void Generate_without_prompt_or_ids_exits_with_2()
    {
        // Act
        var result = Generate("--max-new-tokens", "3");

        // Assert
        result.ShouldFailWith(2, "give --prompt or --ids (or --recipe)");
    }

    [Fact]
    public void Generate_with_both_prompt_and_ids_exits_with_2()
    {
        // Act
        var result = Generate("--prompt", "Hi", "--ids", "1,2");

        // Assert
        result.ShouldFailWith(2, "give only one of --prompt or --ids");
    }

    [Fact]
    public void Score_without_text_or_ids_exits_with_2()
    {
        // Act
        var result = Cli.Run("score", "--model", fixture.Directory);

        // Assert
        result.ShouldFailWith(2, "give --text or --ids");
    }

    [Theory]
    [InlineData("1,x", "--ids: 'x' is not a token id")]
    [InlineData("1,-2", "--ids: '-2' is not a token id")]
    [InlineData(",", "--ids is empty")]
    public void Ids_that_are_not_token_ids_exit_with_2(string ids, string message)
    {
        // Act
        var result = Generate("--ids", ids);

        // Assert
        result.ShouldFailWith(2, message);
    }

    [Fact]
    public void An_id_outside_the_vocabulary_exits_with_2()
    {
        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--ids", "1,50257");

        // Assert
        result.ShouldFailWith(2, "token id 50257 is outside the vocabulary [0, 50257)");
    }

    [Theory]
    [InlineData("NaN", "--temperature needs a finite number, got 'NaN'")]
    [InlineData("Infinity", "--temperature needs a finite number, got 'Infinity'")]
    [InlineData("-1", "temperature must be a finite number >= 0")]
    public void A_temperature_that_is_not_a_finite_non_negative_number_exits_with_2(string temperature, string message)
    {
        // Act
        var result = Generate("--prompt", "Hi", "--temperature", temperature);

        // Assert
        result.ShouldFailWith(2, message);
    }

    [Fact]
    public void A_temperature_that_is_not_a_number_exits_with_2()
    {
        // Act
        var result = Generate("--prompt", "Hi", "--temperature", "warm");

        // Assert
        result.ShouldFailWith(2, "steer: error: --temperature needs a number, got 'warm'");
    }

    [Theory]
    [InlineData("1.5", "top-p must be in (0, 1], got 1.5")]
    [InlineData("0", "top-p must be in (0, 1], got 0")]
    [InlineData("NaN", "--top-p needs a finite number, got 'NaN'")]
    public void A_top_p_outside_zero_to_one_exits_with_2(string topP, string message)
    {
        // Act
        var result = Generate("--prompt", "Hi", "--top-p", topP);

        // Assert
        result.ShouldFailWith(2, message);
    }

    [Fact]
    public void Zero_completions_exit_with_2()
    {
        // Act
        var result = Generate("--prompt", "Hi", "-n", "0");

        // Assert
        result.ShouldFailWith(2, "the number of completions must be >= 1, got 0");
    }

    [Fact]
    public void A_prompt_that_leaves_no_room_for_the_new_tokens_exits_with_2()
    {
        // Arrange: the fixture's context is 64 tokens.
        var ids = string.Join(",", Enumerable.Range(1, 60));

        // Act
        var result = Generate("--ids", ids, "--max-new-tokens", "5");

        // Assert
        result.ShouldFailWith(2, "the prompt has 60 tokens; with 5 new tokens that exceeds the model's context of 64");
    }

    [Fact]
    public void A_text_longer_than_the_context_exits_with_2_when_scored()
    {
        // Arrange
        var text = string.Join(" ", Enumerable.Repeat("word", 80));

        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--text", text);

        // Assert
        result.ShouldFailWith(2, "the input has 81 tokens but the model's context is 64 tokens");
    }

    [Theory]
    [InlineData("generate", "--prompt")]
    [InlineData("score", "--text")]
    [InlineData("inspect", null)]
    public void An_unknown_dtype_exits_with_2(string command, string? input)
    {
        // Act
        var result = Cli.Run(input is null
            ? [command, "--model", fixture.Directory, "--dtype", "int4"]
            : [command, "--model", fixture.Directory, input, "Hi there", "--dtype", "int4"]);

        // Assert
        result.ShouldFailWith(2, "unknown dtype 'int4'; use float32, bfloat16, float16 or int8");
    }

    [Fact]
    public void An_unknown_device_exits_with_2()
    {
        // Act
        var result = Cli.Run("inspect", "--model", fixture.Directory, "--device", "tpu");

        // Assert
        result.ShouldFailWith(2, "unknown device 'tpu'");
    }
}
