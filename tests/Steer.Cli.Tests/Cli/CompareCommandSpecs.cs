using System.Text.Json;
using System.Text.RegularExpressions;
using Steer.Generation;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Steering.Recipes;

namespace Steer.Tests.Cli;

/// <summary>steer compare: unsteered and steered completions side by side, with the post's sampler and seed 0 by default.</summary>
public sealed class CompareCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private const string Prompt = "I hate you because";
    private LanguageModel Model => fixture.Model;

    private CliResult Compare(params string[] args) =>
        Cli.Run(["compare", "--model", fixture.Directory, "--prompt", Prompt,
            "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5", "-n", "3", "--max-new-tokens", "12", .. args]);

    private static int[][] Ids(JsonElement side) => side.EnumerateArray().Select(c => c.GetProperty("ids").Ints()).ToArray();

    [Fact]
    public void Compare_json_has_the_prompt_ids_the_steering_and_three_completions_per_side()
    {
        // Act
        var result = Compare("--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("prompt_ids").Ints().ShouldBe([50256, 40, 5465, 345, 780]);
        json.GetProperty("steering").GetProperty("additions")[0].GetProperty("plus").GetString().ShouldBe("Love");
        json.GetProperty("seed").GetInt64().ShouldBe(0);
        foreach (var side in new[] { "unsteered", "steered" })
        {
            var rows = json.GetProperty(side).EnumerateArray().ToList();
            rows.Count.ShouldBe(3);
            foreach (var row in rows)
            {
                var ids = row.GetProperty("ids").Ints();
                ids.Length.ShouldBeInRange(1, 12);
                row.GetProperty("text").GetString().ShouldBe(Model.Tokenizer.Decode(ids));
            }
        }
        Ids(json.GetProperty("steered")).ShouldNotBe(Ids(json.GetProperty("unsteered")));
    }

    [Fact]
    public void Compare_unsteered_column_equals_generate_with_the_posts_sampler_and_seed_0()
    {
        // Act
        var compare = Compare("--json");
        var generate = Cli.Run("generate", "--model", fixture.Directory, "--prompt", Prompt, "-n", "3", "--max-new-tokens", "12",
            "--temperature", "1", "--top-p", "0.3", "--freq-penalty", "1", "--seed", "0", "--json");

        // Assert
        compare.ExitCode.ShouldBe(0, compare.Error);
        generate.ExitCode.ShouldBe(0, generate.Error);
        Ids(compare.Json().GetProperty("unsteered")).ShouldBe(Ids(generate.Json().GetProperty("completions")));
    }

    [Fact]
    public void Compare_equals_the_library_compare_with_the_posts_sampler_and_seed_0()
    {
        // Arrange
        var options = new GenerationOptions { Count = 3, MaxNewTokens = 12, Seed = 0, Sampling = RecipeBook.PostSampling };
        var (unsteered, steered) = Model.Compare(Model.Tokenizer.Encode(Prompt), options, ActAdd.Pair(Model, "Love", "Hate", 1, 5));

        // Act
        var json = Compare("--json").Json();

        // Assert
        Ids(json.GetProperty("unsteered")).ShouldBe(unsteered.Completions);
        Ids(json.GetProperty("steered")).ShouldBe(steered.Completions);
    }

    [Fact]
    public void Compare_twice_gives_identical_json()
    {
        // Act
        var first = Compare("--json");
        var second = Compare("--json");

        // Assert
        first.ExitCode.ShouldBe(0, first.Error);
        second.Output.ShouldBe(first.Output);
    }

    [Fact]
    public void Compare_prints_a_two_column_table_with_every_completion_in_its_column()
    {
        // Arrange
        var json = Compare("--json").Json();
        string[] Texts(string side) => json.GetProperty(side).EnumerateArray().Select(c => c.GetProperty("text").GetString()!).ToArray();

        // Act
        var result = Compare();

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldStartWith("steered: ");
        lines[2].ShouldContain("Unsteered completions");
        lines[2].ShouldContain("Steered completions");
        lines.Skip(1).ShouldAllBe(line => line.Length == 127, "two columns of 60 and their borders when the output has no width");
        var (left, right) = Cells(lines.Skip(4));
        left.Select(NoSpace).ShouldBe(Texts("unsteered").Select(t => NoSpace(Prompt + t)));
        right.Select(NoSpace).ShouldBe(Texts("steered").Select(t => NoSpace(Prompt + t)));
        result.Output.ShouldNotContain("\u001b[");
    }

    [Fact]
    public void Compare_markdown_prints_a_header_and_one_table_row_per_completion_pair()
    {
        // Act
        var result = Compare("--markdown");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(5);
        lines[0].ShouldBe("| Unsteered completions | Steered completions |");
        lines[1].ShouldBe("| --- | --- |");
        lines.Skip(2).ShouldAllBe(line => line.StartsWith($"| **{Prompt}**") && line.EndsWith(" |"));
    }

    [Fact]
    public void Compare_with_both_json_and_markdown_exits_with_2()
    {
        // Act
        var result = Compare("--json", "--markdown");

        // Assert
        result.ShouldFailWith(2, "give only one of --json or --markdown");
    }

    [Fact]
    public void Compare_without_any_steering_exits_with_2()
    {
        // Act
        var result = Cli.Run("compare", "--model", fixture.Directory, "--prompt", Prompt);

        // Assert
        result.ShouldFailWith(2, "compare needs steering");
    }

    [Fact]
    public void Compare_with_a_recipe_uses_its_prompt_and_its_token_count_when_neither_is_given()
    {
        // Act
        var result = Cli.Run("compare", "--recipe", "love-hate", "--model", fixture.Directory, "--temperature", "0", "--json");

        // Assert: greedy completions of this model reach the recipe's 50 tokens without emitting end-of-text.
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("prompt_ids").Ints().ShouldBe(Model.Tokenizer.Encode("I hate you because"));
        json.GetProperty("steering").GetProperty("recipe").GetString().ShouldBe("love-hate");
        Ids(json.GetProperty("unsteered")).Concat(Ids(json.GetProperty("steered"))).ShouldAllBe(ids => ids.Length == 50);
    }

    [Fact]
    public void Compare_with_a_recipe_and_max_new_tokens_generates_that_many_tokens()
    {
        // Act
        var result = Cli.Run("compare", "--recipe", "love-hate", "--model", fixture.Directory, "--temperature", "0",
            "--max-new-tokens", "7", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        Ids(json.GetProperty("unsteered")).Concat(Ids(json.GetProperty("steered"))).ShouldAllBe(ids => ids.Length == 7);
    }

    [Fact]
    public void Compare_with_a_recipe_equals_the_library_compare_with_the_recipe_vector_scaled_to_this_model()
    {
        // Arrange
        var recipe = RecipeBook.Find("love-hate");
        var vector = recipe.Build(Model);
        var options = new GenerationOptions { Count = 3, MaxNewTokens = 50, Seed = 0, Sampling = RecipeBook.PostSampling };
        var (unsteered, steered) = Model.Compare(Model.Tokenizer.Encode(recipe.Prompt), options, vector);

        // Act
        var result = Cli.Run("compare", "--recipe", "love-hate", "--model", fixture.Directory, "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        Ids(json.GetProperty("unsteered")).ShouldBe(unsteered.Completions);
        Ids(json.GetProperty("steered")).ShouldBe(steered.Completions);
        json.GetProperty("steering").GetProperty("notes")[0].GetString()!.ShouldContain("scaled to layer 0");
    }

    /// <summary>The left and right cell texts of each row of the plain table, each row's lines joined.</summary>
    private static (List<string> Left, List<string> Right) Cells(IEnumerable<string> body)
    {
        List<string> left = [], right = [];
        string l = "", r = "";
        foreach (var line in body)
        {
            if (line.StartsWith('+'))
            {
                left.Add(l);
                right.Add(r);
                (l, r) = ("", "");
                continue;
            }
            line.Length.ShouldBe(2 + 60 + 3 + 60 + 2);
            l += line.Substring(2, 60) + " ";
            r += line.Substring(65, 60) + " ";
        }
        return (left, right);
    }

    private static string NoSpace(string text) => Regex.Replace(text, @"\s+", "");
}
