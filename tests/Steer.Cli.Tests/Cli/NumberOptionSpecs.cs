namespace Steer.Tests.Cli;

/// <summary>
/// Numbers on the command line are read one way everywhere: the invariant culture, no thousands separators, finite;
/// a value that is not a number is a one-line usage error that says what was expected, never a crash or a .NET type.
/// </summary>
public sealed class NumberOptionSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    /// <summary>Each command that takes --coeff, with the input it needs.</summary>
    private string[] Command(string command) => command switch
    {
        "generate" or "compare" => [command, "--model", fixture.Directory, "--prompt", "Hi"],
        "score" => [command, "--model", fixture.Directory, "--text", "Hi"],
        "vector" => [command, "--model", fixture.Directory, "--out", Path.Combine(Path.GetTempPath(), "unused.safetensors")],
        "eval kl" => ["eval", "kl", "--model", fixture.Directory],
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };

    [Theory]
    [InlineData("generate", "abc", false)]
    [InlineData("generate", "", true)]
    [InlineData("generate", "1_000", true)]
    [InlineData("score", "abc", true)]
    [InlineData("score", "", false)]
    [InlineData("compare", "1_000", false)]
    [InlineData("compare", "abc", true)]
    [InlineData("vector", "abc", true)]
    [InlineData("vector", "", false)]
    [InlineData("eval kl", "1_000", true)]
    [InlineData("eval kl", "abc", false)]
    public void A_coefficient_that_is_not_a_number_exits_with_2_and_says_so(string command, string coeff, bool withPlus)
    {
        // Arrange
        string[] steering = withPlus ? ["--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", coeff] : ["--coeff", coeff];

        // Act
        var result = Cli.Run([.. Command(command), .. steering]);

        // Assert
        result.ShouldFailWith(2, $"steer: error: --coeff needs a number, got '{coeff}'");
    }

    [Theory]
    [InlineData("--coeff", "1,5", "1.5", true)]
    [InlineData("--coeff", "1,5", "1.5", false)]
    [InlineData("--temperature", "0,7", "0.7", false)]
    [InlineData("--top-p", ",9", ".9", false)]
    public void A_decimal_comma_exits_with_2_and_suggests_the_dot(string option, string value, string suggestion, bool withPlus)
    {
        // Arrange
        string[] steering = withPlus ? ["--plus", "Love", "--minus", "Hate", "--layer", "1"] : [];

        // Act
        var result = Cli.Run([.. Command("generate"), .. steering, option, value]);

        // Assert
        result.ShouldFailWith(2, $"steer: error: {option} '{value}': use a dot for decimals ({suggestion})");
    }

    [Theory]
    [InlineData("--seed", "1,000")]
    [InlineData("--max-new-tokens", "1,000")]
    [InlineData("-n", "1,2")]
    public void A_whole_number_with_a_thousands_separator_exits_with_2(string option, string value)
    {
        // Act
        var result = Cli.Run([.. Command("generate"), option, value]);

        // Assert
        result.ShouldFailWith(2, $"steer: error: {option} needs a whole number, got '{value}'");
    }

    [Theory]
    [InlineData("generate", "--seed", "abc", "needs a whole number")]
    [InlineData("generate", "--temperature", "warm", "needs a number")]
    [InlineData("generate", "-n", "two", "needs a whole number")]
    [InlineData("generate", "--top-p", "most", "needs a number")]
    [InlineData("generate", "--max-new-tokens", "1.5", "needs a whole number")]
    [InlineData("generate", "--pad-id", "space", "needs a whole number")]
    [InlineData("eval kl", "--position", "last", "needs a whole number")]
    [InlineData("eval tokens", "--mask", "all", "needs a whole number")]
    [InlineData("serve", "--port", "http", "needs a whole number")]
    [InlineData("debug make-model", "--layers", "two", "needs a whole number")]
    public void A_number_option_given_words_says_what_it_needs_without_a_type_name(string command, string option, string value, string needs)
    {
        // Arrange
        string[] args = command switch
        {
            "eval kl" => ["eval", "kl", "--model", fixture.Directory],
            "eval tokens" => ["eval", "tokens", "--model", fixture.Directory, "--text", "Hi there", "--recipe", "love-hate"],
            "serve" => ["serve", "--model", fixture.Directory],
            "debug make-model" => ["debug", "make-model", "--out", Path.Combine(Path.GetTempPath(), "unused-model")],
            _ => Command(command),
        };

        // Act
        var result = Cli.Run([.. args, option, value]);

        // Assert
        result.ShouldFailWith(2, $"steer: error: {option} {needs}, got '{value}'");
        result.Error.ShouldNotContain("System.");
    }

    [Fact]
    public void A_whole_number_too_large_for_its_option_says_the_range()
    {
        // Act
        var result = Cli.Run([.. Command("generate"), "--seed", "99999999999999999999"]);

        // Assert
        result.ShouldFailWith(2, "--seed '99999999999999999999' is out of range (-9223372036854775808 to 9223372036854775807)");
    }

    [Theory]
    [InlineData("1.5", 1.5)]
    [InlineData("-2.5e0", -2.5)]
    [InlineData("+3", 3)]
    public void A_coefficient_with_a_dot_or_an_exponent_is_read_exactly(string coeff, double expected)
    {
        // Act
        var result = Cli.Run([.. Command("generate"), "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", coeff,
            "--short-prompt", "pad", "--temperature", "0", "--max-new-tokens", "2", "--json"]);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("steering").GetProperty("additions")[0].GetProperty("coeff").GetDouble().ShouldBe(expected);
    }
}
