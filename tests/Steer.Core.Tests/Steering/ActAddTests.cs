using Steer.Generation;
using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;
using static TorchSharp.torch;

namespace Steer.Tests.Steering;

/// <summary>The algebra of ActAdd on the g1 formula model.</summary>
public sealed class ActAddTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private static readonly int[] Prompt = [50256, 40, 5465, 345, 780];   // "I hate you because"
    private LanguageModel Model => models["formula-g1.json"];

    private SteeringVector LoveHate(double coeff, int layer = 1) => ActAdd.Pair(Model, "Love", "Hate", layer, coeff);

    private Tensor SteeredLogits(SteeringVector vector, IReadOnlyList<int>? ids = null)
    {
        using var injector = new SteeringInjector(Model, vector, new SteeringOptions());
        return Model.LogitsWith(ids ?? Prompt, injector.Hooks);
    }

    [Fact]
    public void Coefficient_zero_and_a_zero_vector_leave_the_logits_bit_identical()
    {
        using var plain = Model.Logits(Prompt);
        using var zeroCoeff = SteeredLogits(LoveHate(0));
        using var zeroVector = SteeredLogits(LoveHate(5) - LoveHate(5));

        zeroCoeff.ShouldBeBitIdenticalTo(plain);
        zeroVector.ShouldBeBitIdenticalTo(plain);
    }

    [Fact]
    public void Swapping_the_prompts_and_negating_the_coefficient_gives_the_same_vector()
    {
        var forward = ActAdd.Pair(Model, "Love", "Hate", 1, 5);
        var backward = ActAdd.Pair(Model, "Hate", "Love", 1, -5);

        forward.ApproximatelyEquals(backward, 0).ShouldBeTrue();
    }

    [Fact]
    public void Two_additions_at_one_layer_equal_their_summed_vector()
    {
        // Arrange
        var a = LoveHate(3);
        var b = ActAdd.Pair(Model, " wedding", " ", 1, 2);
        using var injectorA = new SteeringInjector(Model, a, new SteeringOptions());
        using var injectorB = new SteeringInjector(Model, b, new SteeringOptions());

        // Act
        using var separately = Model.LogitsWith(Prompt, injectorA.Hooks.Concat(injectorB.Hooks));
        using var summed = SteeredLogits(a + b);

        // Assert: only the order of two float additions differs
        (separately - summed).abs().max().item<float>().ShouldBeLessThan(1e-5f);
        using var plain = Model.Logits(Prompt);
        (summed - plain).abs().max().item<float>().ShouldBeGreaterThan(1e-2f);
    }

    [Fact]
    public void Row_zero_of_a_BOS_started_pair_is_exactly_zero()
    {
        foreach (var layer in new[] { 0, 1 })
            ActAdd.Pair(Model, "Intent to praise", "Intent to hurt", layer, 7).Components.Single().Row(0).ToArray().ShouldAllBe(v => v == 0f);
    }

    [Fact]
    public void A_single_addition_at_layer_0_with_coefficient_1_onto_an_empty_stream_is_prompting()
    {
        // Footnote 7 of the post: adding the embedded prompt onto zero streams reproduces a normal forward pass.
        // Arrange: zero the user prompt's own embeddings where the steering prompt lands.
        var steeringIds = Model.Tokenizer.Encode("Love");                    // [BOS, Love]
        var single = ActAdd.Single(Model, "Love", 0, 1.0);
        HookFunction clearFront = (activation, _) =>
        {
            activation.narrow(1, 0, steeringIds.Count).zero_();
            return null;
        };
        using var injector = new SteeringInjector(Model, single, new SteeringOptions());

        // Act
        using var steered = Model.LogitsWith(Prompt, [(HookNames.Embed, clearFront), (HookNames.PosEmbed, clearFront), .. injector.Hooks]);
        using var prompted = Model.Logits([.. steeringIds, .. Prompt.Skip(steeringIds.Count)]);

        // Assert
        (steered - prompted).abs().max().item<float>().ShouldBeLessThan(1e-5f);
    }

    [Fact]
    public void Unpadded_pairs_add_each_prompt_at_its_own_front_positions()
    {
        var unpadded = ActAdd.Build(Model, [Addition.AtLayer(1, "Love", "Hate", 5) with { Pad = false }]);
        var plus = ActAdd.Single(Model, "Love", 1, 5);
        var minus = ActAdd.Single(Model, "Hate", 1, -5);

        unpadded.ApproximatelyEquals(plus + minus, 0).ShouldBeTrue();
        unpadded.Positions.ShouldBe(3);
    }

    [Fact]
    public void A_list_of_additions_sums_single_additions_each_at_its_own_front()
    {
        var sum = ActAdd.Build(Model, [Addition.AtLayer(1, "Love", null, 5), Addition.AtLayer(1, "Hate", null, -5)]);
        var fromIds = ActAdd.Build(Model, [new Addition { PlusIds = [50256, 18565], Coeff = 5, HookPoint = HookNames.ResidPre(1) },
                                           new Addition { PlusIds = [50256, 39, 378], Coeff = -5, HookPoint = HookNames.ResidPre(1) }]);

        sum.ApproximatelyEquals(ActAdd.Build(Model, [Addition.AtLayer(1, "Love", "Hate", 5) with { Pad = false }]), 0).ShouldBeTrue();
        fromIds.ApproximatelyEquals(sum, 0).ShouldBeTrue();
        Should.Throw<SteerException>(() => ActAdd.Build(Model, [new Addition { Coeff = 1, HookPoint = HookNames.ResidPre(0) }]));
        Should.Throw<SteerException>(() => ActAdd.Build(Model, [])).Message.ShouldContain("no activation additions");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_coefficient_that_is_not_finite_is_refused(double coeff)
    {
        var error = Should.Throw<SteerException>(() => ActAdd.Pair(Model, "Love", "Hate", 1, coeff));
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain("finite");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void A_layer_out_of_range_names_the_valid_range(int layer)
    {
        var error = Should.Throw<SteerException>(() => ActAdd.Pair(Model, "Love", "Hate", layer, 5));
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        error.Message.ShouldContain($"layer {layer}");
        error.Message.ShouldContain("0..1");
    }

    [Fact]
    public void An_unknown_hook_point_is_refused()
    {
        Should.Throw<SteerException>(() => ActAdd.Pair(Model, "Love", "Hate", "blocks.1.hook_nothing", 5))
            .Message.ShouldContain("unknown hook point 'blocks.1.hook_nothing'");
    }

    [Fact]
    public void A_steering_prompt_longer_than_the_context_is_refused()
    {
        var tooLong = string.Concat(Enumerable.Repeat(" love", Model.Shape.ContextLength + 5));
        Should.Throw<SteerException>(() => ActAdd.Single(Model, tooLong, 1, 1)).Message.ShouldContain("context");
    }
}
