namespace Steer.Tests.Cli;

/// <summary>
/// What the parser refuses is one "steer: error:" line and a usage hint (exit 2), with a suggestion for a misspelled
/// command or option; a command that only groups others, given nothing, prints its help.
/// </summary>
public sealed class ParseErrorSpecs
{
    [Fact]
    public void Steer_without_arguments_prints_help_and_exits_with_0()
    {
        // Act
        var result = Cli.Run();

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("Usage:");
        result.Output.ShouldContain("generate");
        result.Error.ShouldBeEmpty();
    }

    [Fact]
    public void A_command_group_without_a_command_prints_its_help_and_exits_with_0()
    {
        // Act
        var result = Cli.Run("eval");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("perplexity");
        result.Error.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(new[] { "genrate" }, "unknown command 'genrate'; did you mean 'generate'?", "steer --help")]
    [InlineData(new[] { "compaer", "--json" }, "unknown command 'compaer'; did you mean 'compare'?", "steer --help")]
    [InlineData(new[] { "eval", "klx" }, "unknown command 'klx' for 'steer eval'; did you mean 'kl'?", "steer eval --help")]
    [InlineData(new[] { "generate", "--coef", "5" }, "unknown option '--coef'; did you mean '--coeff'?", "steer generate --help")]
    [InlineData(new[] { "generate", "--temprature", "0" }, "unknown option '--temprature'; did you mean '--temperature'?", "steer generate --help")]
    [InlineData(new[] { "recipes", "run", "love-hate", "--jsn" }, "unknown option '--jsn'; did you mean '--json'?", "steer recipes run --help")]
    public void A_misspelled_name_is_one_line_that_suggests_the_right_one(string[] args, string message, string help)
    {
        // Act
        var result = Cli.Run(args);

        // Assert
        result.ShouldFailWith(2, $"steer: error: {message}", $"Run '{help}' for usage.");
        Lines(result.Error).ShouldBe([$"steer: error: {message}", $"Run '{help}' for usage."]);
    }

    [Fact]
    public void A_name_like_no_other_gets_no_suggestion()
    {
        // Act
        var result = Cli.Run("summon", "--json");

        // Assert
        result.ShouldFailWith(2, "steer: error: unknown command 'summon'");
        result.Error.ShouldNotContain("did you mean");
    }

    [Fact]
    public void Several_parse_errors_are_still_one_error_line()
    {
        // Act: an unknown option, a value that is not a number, and a missing required option.
        var result = Cli.Run("vector", "--bogus", "--coeff", "x");

        // Assert
        result.ShouldFailWith(2, "steer: error: unknown option '--bogus'");
        Lines(result.Error).Length.ShouldBe(2);
    }

    [Fact]
    public void A_missing_required_option_is_one_error_line()
    {
        // Act
        var result = Cli.Run("debug", "make-model");

        // Assert
        result.ShouldFailWith(2, "steer: error: Option '--out' is required");
        Lines(result.Error).Length.ShouldBe(2);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
