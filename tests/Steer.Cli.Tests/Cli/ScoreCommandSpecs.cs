namespace Steer.Tests.Cli;

public sealed class ScoreCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Text = "I hate you because";
    private LanguageModel Model => fixture.Model;

    [Fact]
    public void Score_json_gives_the_ids_and_the_token_logprobs_of_the_library()
    {
        // Arrange
        var expected = Model.Score(Model.Tokenizer.Encode(Text));

        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--text", Text, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("ids").Ints().ShouldBe([50256, 40, 5465, 345, 780]);
        var logprobs = json.GetProperty("token_logprobs").Doubles();
        logprobs.Length.ShouldBe(4);
        logprobs.ShouldBe(expected.TokenLogprobs.ToArray());
        logprobs.ShouldAllBe(lp => lp < 0);
    }

    [Fact]
    public void Score_json_perplexity_is_exp_of_minus_the_mean_token_logprob()
    {
        // Act
        var json = Cli.Run("score", "--model", fixture.Directory, "--text", Text, "--json").Json();

        // Assert
        var logprobs = json.GetProperty("token_logprobs").Doubles();
        json.GetProperty("perplexity").GetDouble().ShouldBe(Math.Exp(-logprobs.Average()), tolerance: 1e-12);
    }

    [Fact]
    public void Score_with_ids_scores_exactly_those_ids()
    {
        // Arrange
        int[] ids = [7, 8, 9, 10];
        var expected = Model.Score(ids);

        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--ids", "7, 8,9,10", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("ids").Ints().ShouldBe(ids);
        json.GetProperty("token_logprobs").Doubles().ShouldBe(expected.TokenLogprobs.ToArray());
        json.GetProperty("perplexity").GetDouble().ShouldBe(expected.Perplexity);
    }

    [Fact]
    public void Score_with_no_bos_scores_the_text_without_the_endoftext_token()
    {
        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--text", Text, "--no-bos", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("ids").Ints().ShouldBe([40, 5465, 345, 780]);
    }

    [Fact]
    public void Score_without_json_prints_a_row_per_predicted_token_and_the_perplexity()
    {
        // Arrange
        var expected = Model.Score(Model.Tokenizer.Encode(Text));

        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--text", Text);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1 + 4 + 1);
        lines[2].ShouldBe($"   2    5465  {expected.TokenLogprobs[1],9:F4}  \" hate\"");
        lines[^1].ShouldBe($"perplexity {expected.Perplexity:G6} over 4 predicted tokens");
    }

    [Fact]
    public void Score_of_a_single_token_is_a_usage_error()
    {
        // Act
        var result = Cli.Run("score", "--model", fixture.Directory, "--ids", "50256");

        // Assert
        result.ShouldFailWith(2, "scoring needs at least two tokens");
    }
}
