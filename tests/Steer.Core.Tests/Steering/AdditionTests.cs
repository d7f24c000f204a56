using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Steering.Recipes;

namespace Steer.Tests.Steering;

/// <summary>
/// <see cref="ActAdd.Build"/> is the one way additions become a vector: its results are the numbers each of the
/// former paths computed (padded pair, single, token ids, unpadded pair, recipe), written out here from the
/// clean model's activations with the formulas those paths used.
/// </summary>
public sealed class AdditionTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private LanguageModel Model => models["formula-g1.json"];

    /// <summary>The former pair path: right-pad with the pad token, subtract, then scale.</summary>
    private SteeringVector OldPair(string plus, string minus, string hook, double coeff, int padId = 220)
    {
        var (a, b) = ActAdd.PadToEqualLength(Model.Tokenizer.Encode(plus), Model.Tokenizer.Encode(minus), padId);
        var hPlus = ActAdd.Activations(Model, a, hook);
        var hMinus = ActAdd.Activations(Model, b, hook);
        var values = hPlus.Select((v, i) => (float)(coeff * (v - hMinus[i]))).ToArray();
        return new SteeringVector([new SteeringComponent(hook, a.Length, Model.Shape.ModelDim, values)]);
    }

    /// <summary>The former single path: scale each activation.</summary>
    private SteeringVector OldSingle(IReadOnlyList<int> ids, string hook, double coeff)
    {
        var values = ActAdd.Activations(Model, ids, hook).Select(v => (float)(coeff * v)).ToArray();
        return new SteeringVector([new SteeringComponent(hook, ids.Count, Model.Shape.ModelDim, values)]);
    }

    private static void ShouldBeBitIdentical(SteeringVector actual, SteeringVector expected)
    {
        actual.Components.Select(c => (c.HookPoint, c.Positions)).ShouldBe(expected.Components.Select(c => (c.HookPoint, c.Positions)));
        foreach (var (a, e) in actual.Components.Zip(expected.Components))
            a.Values.SequenceEqual(e.Values).ShouldBeTrue($"values differ at {a.HookPoint}");
    }

    [Fact]
    public void A_list_of_additions_is_the_sum_of_what_each_former_path_computed()
    {
        // Arrange
        Addition[] additions =
        [
            Addition.AtLayer(1, "Love", "Hate", 5),
            Addition.AtLayer(0, " wedding", null, 2),
            new() { PlusIds = [50256, 18565], HookPoint = HookNames.ResidPre(1), Coeff = 3 },
            Addition.AtLayer(1, "Anger", "Calm", -4) with { Pad = false, PadId = 50256 },
            Addition.AtLayer(1, "Intent to praise", "Intent to hurt", 2) with { PadId = 50256 },
        ];
        var anger = Model.Tokenizer.Encode("Anger");
        var calm = Model.Tokenizer.Encode("Calm");
        var expected = OldPair("Love", "Hate", HookNames.ResidPre(1), 5)
            + OldSingle(Model.Tokenizer.Encode(" wedding"), HookNames.ResidPre(0), 2)
            + OldSingle([50256, 18565], HookNames.ResidPre(1), 3)
            + (OldSingle(anger, HookNames.ResidPre(1), -4) + OldSingle(calm, HookNames.ResidPre(1), 4))
            + OldPair("Intent to praise", "Intent to hurt", HookNames.ResidPre(1), 2, padId: 50256);

        // Act
        var vector = ActAdd.Build(Model, additions);

        // Assert
        ShouldBeBitIdentical(vector, expected);
    }

    [Fact]
    public void The_metadata_lists_each_addition_with_the_pad_token_it_used()
    {
        // Act
        var vector = ActAdd.Build(Model,
        [
            Addition.AtLayer(1, "Love", "Hate", 5),
            Addition.AtLayer(0, " wedding", null, 2) with { PadId = 50256 },
            Addition.AtLayer(1, "Anger", "Calm", -4) with { Pad = false, PadId = 50256 },
            new() { PlusIds = [50256, 18565], MinusIds = [50256], HookPoint = HookNames.ResidPre(1), Coeff = 3, PadId = 50256 },
        ]);

        // Assert
        vector.Metadata.Model.ShouldBe(Model.Name);
        vector.Metadata.Additions.ShouldBe(
        [
            Addition.AtLayer(1, "Love", "Hate", 5) with { PadId = 220 },               // the model's default, resolved
            Addition.AtLayer(0, " wedding", null, 2),                                  // a single pads nothing
            Addition.AtLayer(1, "Anger", "Calm", -4) with { Pad = false },             // nor does an unpadded pair
            new() { PlusIds = [50256, 18565], MinusIds = [50256], HookPoint = HookNames.ResidPre(1), Coeff = 3, PadId = 50256 },
        ]);
    }

    [Fact]
    public void No_pad_id_is_the_model_default_the_space()
    {
        var byDefault = ActAdd.Build(Model, [Addition.AtLayer(1, " weddings", "", 1)]);
        var space = ActAdd.Build(Model, [Addition.AtLayer(1, " weddings", "", 1) with { PadId = 220 }]);

        ShouldBeBitIdentical(byDefault, space);
        ShouldBeBitIdentical(byDefault, OldPair(" weddings", "", HookNames.ResidPre(1), 1));
    }

    [Fact]
    public void A_recipe_builds_its_additions_scaled_to_the_model_as_the_former_recipe_path_did()
    {
        // Arrange: GPT-2-XL's layers 6, 40 and 20 on this 2-layer model are blocks 0, 1 (clamped) and 1.
        var recipe = RecipeBook.Find("love-hate") with
        {
            Additions = [Addition.AtLayer(6, "Love", "Hate", 5), Addition.AtLayer(40, " wedding", "", 4), Addition.AtLayer(20, "Love", null, 3)],
        };
        var expected = OldPair("Love", "Hate", HookNames.ResidPre(0), 5)
            + OldPair(" wedding", "", HookNames.ResidPre(1), 4)
            + OldSingle(Model.Tokenizer.Encode("Love"), HookNames.ResidPre(1), 3);

        // Act
        var (additions, notes) = recipe.For(Model);
        var vector = recipe.Build(Model);

        // Assert
        additions.Select(a => a.HookPoint).ShouldBe([HookNames.ResidPre(0), HookNames.ResidPre(1), HookNames.ResidPre(1)]);
        notes.ShouldContain("layer 40 of GPT-2-XL's 48 scaled to layer 1 of this model's 2 by relative depth");
        ShouldBeBitIdentical(vector, expected);
        ShouldBeBitIdentical(ActAdd.Build(Model, additions), expected);
    }

    [Fact]
    public void A_recipe_at_a_layer_moves_every_addition_there_with_its_coefficient_scaled()
    {
        var recipe = RecipeBook.Find("love-hate");

        var vector = recipe.BuildAt(Model, 1, coeff: 2, padId: 50256);

        ShouldBeBitIdentical(vector, OldPair("Love", "Hate", HookNames.ResidPre(1), 10, padId: 50256));
        Should.Throw<SteerException>(() => recipe.BuildAt(Model, 2)).Message.ShouldContain("out of range");
    }

    [Theory]
    [InlineData("1", "blocks.1.hook_resid_pre")]
    [InlineData("blocks.0.hook_mlp_out", "blocks.0.hook_mlp_out")]
    public void A_layer_is_a_block_number_or_a_hook_point_name(string layer, string hookPoint) =>
        ActAdd.HookPointOf(Model, layer).ShouldBe(hookPoint);

    [Theory]
    [InlineData("2", "out of range")]
    [InlineData("blocks.0.hook_nothing", "unknown hook point")]
    public void A_layer_the_model_does_not_have_is_refused(string layer, string message) =>
        Should.Throw<SteerException>(() => ActAdd.HookPointOf(Model, layer)).Message.ShouldContain(message);

    [Theory]
    [InlineData("MID", InjectionLocation.Mid)]
    [InlineData("front", InjectionLocation.Front)]
    public void Locations_parse_by_name_in_any_case(string text, InjectionLocation expected) =>
        SteeringOptions.ParseLocation(text).ShouldBe(expected);

    [Theory]
    [InlineData("1")]
    [InlineData("front,back")]
    [InlineData("middle")]
    public void Only_names_are_locations(string text) =>
        Should.Throw<SteerException>(() => SteeringOptions.ParseLocation(text, "--location")).Message.ShouldBe($"--location '{text}': use front, mid or back");

    [Fact]
    public void Short_prompt_policies_parse_by_name() =>
        (SteeringOptions.ParseShortPrompt("Truncate"), Should.Throw<SteerException>(() => SteeringOptions.ParseShortPrompt("grow")).Message)
            .ShouldBe((ShortPromptPolicy.Truncate, "short prompt 'grow': use error, pad or truncate"));
}
