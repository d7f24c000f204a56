using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Steering.Recipes;

namespace Steer.Tests.Steering;

public sealed class RecipeTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    [Fact]
    public void Every_example_of_the_post_is_built_in_with_its_layer_coefficient_prompt_tokens_and_outcome()
    {
        // Arrange
        using var doc = TestData.Json("post-recipes.json");
        var expected = doc.RootElement.GetProperty("recipes").EnumerateArray().ToList();

        // Assert
        RecipeBook.BuiltIn.Count.ShouldBe(expected.Count);
        RecipeBook.PostModel.ShouldBe("gpt2-xl");
        foreach (var (recipe, json) in RecipeBook.BuiltIn.Zip(expected))
        {
            recipe.Name.ShouldBe(json.GetProperty("name").GetString());
            recipe.Prompt.ShouldBe(json.GetProperty("prompt").GetString());
            recipe.Tokens.ShouldBe(json.GetProperty("tokens").GetInt32());
            recipe.Outcome.ShouldBe(json.GetProperty("outcome").GetString());
            var additions = json.GetProperty("additions").EnumerateArray().ToList();
            recipe.Additions.Count.ShouldBe(additions.Count);
            foreach (var (addition, a) in recipe.Additions.Zip(additions))
            {
                addition.Plus.ShouldBe(a.GetProperty("plus").GetString());
                addition.Minus.ShouldBe(a.GetProperty("minus").ValueKind == System.Text.Json.JsonValueKind.Null ? null : a.GetProperty("minus").GetString());
                addition.HookPoint.ShouldBe(HookNames.ResidPre(a.GetProperty("layer").GetInt32()));
                Recipe.PostLayerOf(addition).ShouldBe(a.GetProperty("layer").GetInt32());
                addition.Coeff.ShouldBe(a.GetProperty("coeff").GetDouble());
            }
        }
    }

    [Fact]
    public void The_headline_recipe_is_love_minus_hate_at_layer_6_with_coefficient_5()
    {
        var recipe = RecipeBook.Find("love-hate");

        recipe.Additions.ShouldHaveSingleItem().ShouldBe(Addition.AtLayer(6, "Love", "Hate", 5));
        recipe.Prompt.ShouldBe("I hate you because");
    }

    [Theory]
    [InlineData(6, 48, 6)]
    [InlineData(6, 12, 2)]
    [InlineData(20, 12, 5)]
    [InlineData(47, 12, 12 - 1)]
    [InlineData(23, 24, 12)]
    [InlineData(16, 36, 12)]
    [InlineData(6, 2, 0)]
    [InlineData(47, 2, 1)]
    public void Layers_scale_by_relative_depth(int layer, int layers, int expected)
    {
        Recipe.ScaleLayer(layer, layers).ShouldBe(expected);
    }

    [Fact]
    public void A_recipe_builds_on_a_smaller_model_and_says_it_scaled_the_layer()
    {
        // Arrange
        var model = models["formula-g1.json"];                      // 2 layers
        var recipe = RecipeBook.Find("love-and-wedding");

        // Act
        var scaled = recipe.For(model);
        var vector = ActAdd.Build(model, scaled.Additions);
        var notes = scaled.Notes;

        // Assert
        var expected = ActAdd.Pair(model, "Love", "Hate", 0, 5) + ActAdd.Pair(model, " wedding", " ", 1, 5);
        vector.ApproximatelyEquals(expected, 0).ShouldBeTrue();
        notes.Count.ShouldBe(2);
        notes[0].ShouldContain("layer 6 of GPT-2-XL's 48 scaled to layer 0");
    }

    [Fact]
    public void A_single_addition_recipe_has_no_subtracted_prompt()
    {
        var model = models["formula-g1.json"];
        var vector = RecipeBook.Find("love-alone").Build(model);
        vector.ApproximatelyEquals(ActAdd.Single(model, "Love", 0, 10), 0).ShouldBeTrue();
    }

    [Fact]
    public void A_recipe_file_is_read_and_a_bad_one_is_a_clear_error()
    {
        // Arrange
        var directory = Directory.CreateTempSubdirectory("steer-recipe-");
        var good = Path.Combine(directory.FullName, "mine.json");
        File.WriteAllText(good, """{"name":"mine","additions":[{"plus":"Happy","minus":"Sad","layer":10,"coeff":4}],"prompt":"Today","tokens":20,"outcome":"?"}""");
        var bad = Path.Combine(directory.FullName, "bad.json");
        File.WriteAllText(bad, """{"name":"bad","additions":[],"prompt":"x","tokens":1,"outcome":""}""");

        try
        {
            // Act / Assert
            RecipeBook.Find(good).Additions.ShouldHaveSingleItem().ShouldBe(Addition.AtLayer(10, "Happy", "Sad", 4));
            Should.Throw<SteerException>(() => RecipeBook.Find(bad)).Message.ShouldContain("at least one addition");
            Should.Throw<SteerException>(() => RecipeBook.Find("no-such-recipe")).Kind.ShouldBe(ErrorKind.NotFound);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
