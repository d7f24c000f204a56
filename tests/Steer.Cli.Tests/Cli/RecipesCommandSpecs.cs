using Steer.Generation;
using Steer.Steering;
using Steer.Steering.Recipes;

namespace Steer.Tests.Cli;

/// <summary>steer recipes list | show | run: the post's examples, run on any model with the layers scaled by depth.</summary>
public sealed class RecipesCommandSpecs(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;

    [Fact]
    public void Recipes_list_json_lists_all_17_built_in_recipes_on_gpt2_xl()
    {
        // Act
        var result = Cli.Run("recipes", "list", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("model").GetString().ShouldBe("gpt2-xl");
        var recipes = json.GetProperty("recipes").EnumerateArray().ToList();
        recipes.Count.ShouldBe(17);
        recipes.Select(r => r.GetProperty("name").GetString()).ShouldBe(RecipeBook.BuiltIn.Select(r => r.Name));
        recipes.Select(r => r.GetProperty("name").GetString()).ShouldBeUnique();
    }

    [Fact]
    public void Recipes_list_json_has_love_hate_as_the_post_gave_it()
    {
        // Act
        var recipes = Cli.Run("recipes", "list", "--json").Json().GetProperty("recipes").EnumerateArray();

        // Assert
        var loveHate = recipes.Single(r => r.GetProperty("name").GetString() == "love-hate");
        var addition = loveHate.GetProperty("additions").EnumerateArray().ShouldHaveSingleItem();
        addition.GetProperty("plus").GetString().ShouldBe("Love");
        addition.GetProperty("minus").GetString().ShouldBe("Hate");
        addition.GetProperty("layer").GetInt32().ShouldBe(6);
        addition.GetProperty("coeff").GetDouble().ShouldBe(5);
        loveHate.GetProperty("prompt").GetString().ShouldBe("I hate you because");
        loveHate.GetProperty("tokens").GetInt32().ShouldBe(50);
        loveHate.GetProperty("outcome").GetString().ShouldBe("works");
    }

    [Fact]
    public void Recipes_list_prints_one_line_per_recipe_with_its_outcome()
    {
        // Act
        var result = Cli.Run("recipes", "list");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var lines = result.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(17);
        lines.ShouldContain(line => line.StartsWith("love-hate ") && line.Contains("\"Love\" - \"Hate\" @ layer 6, c = 5") && line.EndsWith("-> works"));
        lines.ShouldContain(line => line.StartsWith("love-alone ") && line.Contains("\"Love\" @ layer 6, c = 10"));
    }

    [Fact]
    public void Recipes_run_with_another_recipe_exits_with_2_instead_of_summing_both()
    {
        // Act
        var result = Cli.Run("recipes", "run", "love-hate", "--recipe", "weddings", "--model", fixture.Directory);

        // Assert
        result.ShouldFailWith(2, "steer: error: 'recipes run' runs one recipe; leave out --recipe");
    }

    [Fact]
    public void Recipes_show_prints_the_prompt_and_the_addition()
    {
        // Act
        var result = Cli.Run("recipes", "show", "love-hate");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Output.ShouldContain("prompt    \"I hate you because\"");
        result.Output.ShouldContain("addition  \"Love\" - \"Hate\" @ layer 6, c = 5");
        result.Output.ShouldContain("tokens    50");
    }

    [Fact]
    public void Recipes_show_json_gives_the_recipe()
    {
        // Act
        var result = Cli.Run("recipes", "show", "conspiracy", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("prompt").GetString().ShouldBe("Barack Obama was born in");
        var addition = json.GetProperty("additions").EnumerateArray().ShouldHaveSingleItem();
        addition.GetProperty("plus").GetString().ShouldBe("Bush did 9/11 because");
        addition.GetProperty("minus").GetString().ShouldBe("");
    }

    [Fact]
    public void Recipes_show_of_an_unknown_recipe_exits_with_3_and_lists_the_built_in_names()
    {
        // Act
        var result = Cli.Run("recipes", "show", "no-such-recipe");

        // Assert
        result.ShouldFailWith(3, "no recipe named 'no-such-recipe'", "love-hate");
    }

    [Fact]
    public void Recipes_run_on_the_two_layer_model_scales_the_layer_and_prints_the_table()
    {
        // Arrange: layer 6 of 48 is a quarter of the way down, which rounds to layer 0 of 2.
        Recipe.ScaleLayer(6, 2).ShouldBe(0);

        // Act
        var result = Cli.Run("recipes", "run", "love-hate", "--model", fixture.Directory, "-n", "1", "--max-new-tokens", "5");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        result.Error.ShouldContain("layer 6 of GPT-2-XL's 48 scaled to layer 0 of this model's 2");
        result.Output.ShouldContain("Unsteered completions");
        result.Output.ShouldContain("| I hate you because");
    }

    [Fact]
    public void Recipes_run_json_equals_the_library_compare_with_the_recipe()
    {
        // Arrange
        var recipe = RecipeBook.Find("love-hate");
        var options = new GenerationOptions { Count = 1, MaxNewTokens = 5, Seed = 0, Sampling = RecipeBook.PostSampling };
        var (unsteered, steered) = Model.Compare(Model.Tokenizer.Encode(recipe.Prompt), options, recipe.Build(Model));

        // Act
        var result = Cli.Run("recipes", "run", "love-hate", "--model", fixture.Directory, "-n", "1", "--max-new-tokens", "5", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("steering").GetProperty("recipe").GetString().ShouldBe("love-hate");
        json.GetProperty("steering").GetProperty("hook_points").Strings().ShouldBe(["blocks.0.hook_resid_pre"]);
        json.GetProperty("unsteered")[0].GetProperty("ids").Ints().ShouldBe(unsteered.Completions.Single());
        json.GetProperty("steered")[0].GetProperty("ids").Ints().ShouldBe(steered.Completions.Single());
    }

    [Fact]
    public void Recipes_run_of_an_unknown_recipe_exits_with_3()
    {
        // Act
        var result = Cli.Run("recipes", "run", "no-such-recipe", "--model", fixture.Directory);

        // Assert
        result.ShouldFailWith(3, "no recipe named 'no-such-recipe'");
    }

    [Fact]
    public void Generate_with_an_unknown_recipe_exits_with_3()
    {
        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--prompt", "Hi", "--recipe", "no-such-recipe");

        // Assert
        result.ShouldFailWith(3, "no recipe named 'no-such-recipe'");
    }

    [Fact]
    public void Generate_with_a_recipe_and_no_prompt_uses_the_recipe_prompt()
    {
        // Arrange
        var recipe = RecipeBook.Find("love-hate");
        var promptIds = Model.Tokenizer.Encode(recipe.Prompt);
        var vector = recipe.Build(Model);
        var expected = Model.Generate([promptIds], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy }, vector);

        // Act
        var result = Cli.Run("generate", "--model", fixture.Directory, "--recipe", "love-hate", "--temperature", "0", "--max-new-tokens", "6", "--json");

        // Assert
        result.ExitCode.ShouldBe(0, result.Error);
        var json = result.Json();
        json.GetProperty("prompt_ids").Ints().ShouldBe(promptIds);
        json.GetProperty("completions")[0].GetProperty("ids").Ints().ShouldBe(expected.Completions.Single());
    }
}
