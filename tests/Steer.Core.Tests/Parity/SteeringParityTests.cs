using Steer.Generation;
using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;
using static TorchSharp.torch;

namespace Steer.Tests.Parity;

/// <summary>
/// ActAdd on the formula models against the reference: the padded ids, the vector, and the logits with the
/// vector added at the front positions of the prompt. Tolerances as in <see cref="ForwardParityTests"/>.
/// </summary>
public sealed class SteeringParityTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    public static IEnumerable<object[]> SteerCases => GoldenCase.All("steer");
    public static IEnumerable<object[]> GenerateCases => GoldenCase.All("generate");

    internal static SteeringVector VectorOf(LanguageModel model, GoldenCase c)
    {
        var steer = c.Json.GetProperty("steer");
        int[] Ids(string p) => steer.GetProperty(p).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        // The reference's layer L = n_layer is the input of ln_f, i.e. the last block's resid_post.
        var layer = steer.GetProperty("layer").GetInt32();
        var hook = layer < model.Shape.Layers ? HookNames.ResidPre(layer) : HookNames.ResidPost(layer - 1);
        return ActAdd.Pair(model, Ids("pos_ids"), Ids("neg_ids"), hook,
            steer.GetProperty("coeff").GetDouble(), steer.GetProperty("pad_id").GetInt32());
    }

    /// <summary>
    /// A vector longer than the prompt is refused by default (the post's code asserts); the references add it at the
    /// prompt's positions only, which is the truncate policy.
    /// </summary>
    private static SteeringOptions OptionsFor(GoldenCase c, SteeringVector vector) =>
        vector.Positions > c.Ids.Length ? new SteeringOptions { ShortPrompt = ShortPromptPolicy.Truncate } : new SteeringOptions();

    [Theory]
    [MemberData(nameof(SteerCases))]
    internal void A_vector_longer_than_the_prompt_is_refused_unless_the_policy_truncates_it(GoldenCase c)
    {
        var model = models[c.File];
        var vector = VectorOf(model, c);
        if (vector.Positions <= c.Ids.Length) return;

        Should.Throw<SteerException>(() => model.Score(c.Ids, vector)).Message.ShouldContain("spans");
        model.Score(c.Ids, vector, OptionsFor(c, vector)).TokenLogprobs.Count.ShouldBe(c.Ids.Length - 1);
    }

    [Theory]
    [MemberData(nameof(SteerCases))]
    internal void Pairs_are_padded_with_the_pad_token(GoldenCase c)
    {
        var steer = c.Json.GetProperty("steer");
        int[] Ids(string p) => steer.GetProperty(p).EnumerateArray().Select(e => e.GetInt32()).ToArray();

        var (plus, minus) = ActAdd.PadToEqualLength(Ids("pos_ids"), Ids("neg_ids"), steer.GetProperty("pad_id").GetInt32());

        plus.ShouldBe(c.Ints("padded_pos_ids"));
        minus.ShouldBe(c.Ints("padded_neg_ids"));
    }

    [Theory]
    [MemberData(nameof(SteerCases))]
    internal void Steering_vectors_match_the_reference(GoldenCase c)
    {
        // Act
        var vector = VectorOf(models[c.File], c);

        // Assert
        var component = vector.Components.ShouldHaveSingleItem();
        var norms = c.Doubles("vector_position_norms");
        var tolerance = ForwardParityTests.ResidualRelativeTolerance * norms.Max();
        ForwardParityTests.AssertClose(component.PositionNorms(), norms, tolerance, "vector_position_norms");
        ForwardParityTests.AssertClose(component.Row(1)[..8].ToArray().Select(v => (double)v).ToArray(), c.Doubles("vector_row1_first8"), tolerance, "vector_row1_first8");
        component.Row(0).ToArray().ShouldAllBe(v => v == 0f, "position 0 is BOS in both prompts");
    }

    [Theory]
    [MemberData(nameof(SteerCases))]
    internal void Steered_and_unsteered_logits_match_the_reference(GoldenCase c)
    {
        // Arrange
        var model = models[c.File];
        var vector = VectorOf(model, c);
        var options = OptionsFor(c, vector);
        using var injector = new SteeringInjector(model, vector, options);

        // Act
        using var unsteered = model.Logits(c.Ids);
        using var steered = model.LogitsWith(c.Ids, injector.Hooks);
        var unsteeredScore = model.Score(c.Ids);
        var steeredScore = model.Score(c.Ids, vector, options);

        // Assert
        ForwardParityTests.AssertLogits(unsteered, unsteeredScore.TokenLogprobs, c.Json.GetProperty("unsteered"));
        ForwardParityTests.AssertLogits(steered, steeredScore.TokenLogprobs, c.Json.GetProperty("steered"));
    }

    [Theory]
    [MemberData(nameof(GenerateCases))]
    internal void Greedy_steered_generation_matches_the_reference_ids(GoldenCase c)
    {
        // Arrange
        var model = models[c.File];
        var options = new GenerationOptions { MaxNewTokens = c.Json.GetProperty("n").GetInt32(), Sampling = SamplingOptions.Greedy };

        var vector = VectorOf(model, c);

        // Act
        var steered = model.Generate([c.Ids], options, vector, OptionsFor(c, vector));

        // Assert
        steered.Completions.Single().ShouldBe(c.Ints("steered_ids"));
    }
}
