namespace Steer.Tests.Cli;

public sealed class TokenizeCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Text = "I hate you because";
    private static readonly int[] ReferenceIds = [50256, 40, 5465, 345, 780];

    [Fact]
    public void Tokenize_json_prints_the_reference_ids_and_their_pieces_with_the_bos_first()
    {
        // Act
        var result = Cli.Run("tokenize", "--text", Text, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldBeEmpty();
        var json = result.Json();
        json.GetProperty("ids").Ints().ShouldBe(ReferenceIds);
        json.GetProperty("tokens").Strings().ShouldBe(["<|endoftext|>", "I", " hate", " you", " because"]);
    }

    [Fact]
    public void Tokenize_with_no_bos_leaves_out_the_endoftext_token()
    {
        // Act
        var result = Cli.Run("tokenize", "--text", Text, "--no-bos", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("ids").Ints().ShouldBe(ReferenceIds[1..]);
    }

    [Fact]
    public void Tokenize_with_a_model_directory_uses_that_models_tokenizer()
    {
        // Act
        var result = Cli.Run("tokenize", "--model", fixture.Directory, "--text", Text, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Json().GetProperty("ids").Ints().ShouldBe(fixture.Model.Tokenizer.Encode(Text).ToArray());
    }

    [Fact]
    public void Tokenize_without_json_prints_one_line_per_token_with_its_id_and_quoted_piece()
    {
        // Act
        var result = Cli.Run("tokenize", "--text", Text);

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Select(line => int.Parse(line.TrimStart().Split("  ")[0])).ShouldBe(ReferenceIds);
        lines[2].ShouldBe("  5465  \" hate\"");
    }

    [Fact]
    public void Tokenize_without_text_is_a_usage_error()
    {
        // Act
        var result = Cli.Run("tokenize", "--json");

        // Assert
        result.ShouldFailWith(2, "--text");
    }
}
