using Steer.Steering;
using Steer.Steering.Methods;

namespace Steer.Tests.Steering;

/// <summary>The post's random control and norm matching, on hand-made vectors and on the g1 formula model's.</summary>
public sealed class RandomControlTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    private LanguageModel Model => models["formula-g1.json"];

    [Fact]
    public void A_random_control_has_the_vectors_norm_at_every_position_and_a_zero_first_row()
    {
        var vector = ActAdd.Pair(Model, "Love", "Hate", 1, 5);

        var control = RandomControl.RandomLike(vector, seed: 7);

        var component = control.Components.ShouldHaveSingleItem();
        component.HookPoint.ShouldBe("blocks.1.hook_resid_pre");
        component.Positions.ShouldBe(vector.Components[0].Positions);
        component.Row(0).ToArray().ShouldAllBe(v => v == 0f);
        var expected = vector.Components[0].PositionNorms();
        var actual = component.PositionNorms();
        for (var p = 1; p < expected.Length; p++) actual[p].ShouldBe(expected[p], expected[p] * 1e-6);
        // Not the vector itself: the direction is random (cosine near 0 in 64 dimensions, not 1).
        Cosine(component.Row(1), vector.Components[0].Row(1)).ShouldBeLessThan(0.6);
    }

    [Fact]
    public void The_same_seed_gives_the_same_values_and_another_seed_others()
    {
        var vector = ActAdd.Pair(Model, "Love", "Hate", 1, 5);

        var a = RandomControl.RandomLike(vector, 3);
        var b = RandomControl.RandomLike(vector, 3);
        var c = RandomControl.RandomLike(vector, 4);

        a.Components[0].Values.ShouldBe(b.Components[0].Values);
        c.Components[0].Values.ShouldNotBe(a.Components[0].Values);
        a.Metadata.Properties["seed"].ShouldBe("3");
        a.Metadata.Properties["method"].ShouldBe("random-like");
    }

    [Fact]
    public void The_draws_are_standard_normal()
    {
        // A 1-row front vector would be all zero; use 201 rows of width 500 with norm sqrt(500) each, so that the
        // rescaling is close to 1 and the values keep their N(0, 1) moments.
        var values = Enumerable.Repeat(1f, 201 * 500).ToArray();
        var vector = new SteeringVector([new SteeringComponent("blocks.0.hook_resid_pre", 201, 500, values)]);

        var drawn = RandomControl.RandomLike(vector, 11).Components[0].Values.Skip(500).Select(v => (double)v).ToList();

        drawn.Average().ShouldBe(0, 0.01);
        drawn.Select(v => v * v).Average().ShouldBe(1, 0.02);
        drawn.Count(v => Math.Abs(v) > 1.96).ShouldBeInRange((int)(0.045 * drawn.Count), (int)(0.055 * drawn.Count));
    }

    [Fact]
    public void A_per_position_vector_keeps_its_only_row()
    {
        var vector = new SteeringVector([SteeringComponent.Row("blocks.0.hook_resid_pre", [3f, 4f, 0f])]);

        var control = RandomControl.RandomLike(vector, 1).Components[0];

        control.Mode.ShouldBe(PositionMode.All);
        control.PositionNorms()[0].ShouldBe(5, 1e-6);
    }

    [Fact]
    public void Matching_norms_makes_the_mean_norm_past_BOS_equal_the_references()
    {
        // Hand-made: rows of norm 0 (BOS), 3 and 5 (mean 4) against a reference of norms 0 and 10 (mean 10): factor 2.5.
        var vector = new SteeringVector([new SteeringComponent("blocks.0.hook_resid_pre", 3, 2, [0f, 0f, 3f, 0f, 3f, 4f])]);
        var reference = new SteeringVector([new SteeringComponent("blocks.0.hook_resid_pre", 2, 2, [0f, 0f, 6f, 8f])]);

        var matched = RandomControl.MatchNorm(vector, reference);

        matched.Components[0].Values.ShouldBe([0f, 0f, 7.5f, 0f, 7.5f, 10f]);
        RandomControl.MeanPositionNorm(matched).ShouldBe(10, 1e-9);
        matched.Metadata.Properties["match_norm.factor"].ShouldBe("2.5");
    }

    [Fact]
    public void Matching_the_random_text_vector_to_a_steering_vector()
    {
        var vector = ActAdd.Pair(Model, "Love", "Hate", 1, 5);
        var randomText = ActAdd.Pair(Model, "fdsajl; fs", "", 1, 5);

        var matched = RandomControl.MatchNorm(randomText, vector);

        RandomControl.MeanPositionNorm(matched).ShouldBe(RandomControl.MeanPositionNorm(vector), 1e-4);
        Cosine(matched.Components[0].Row(2), randomText.Components[0].Row(2)).ShouldBe(1, 1e-6);
    }

    [Fact]
    public void A_vector_with_nothing_past_BOS_cannot_be_measured_or_matched()
    {
        var bosOnly = new SteeringVector([new SteeringComponent("blocks.0.hook_resid_pre", 1, 2, [1f, 1f])]);
        var zero = new SteeringVector([new SteeringComponent("blocks.0.hook_resid_pre", 2, 2, [0f, 0f, 0f, 0f])]);
        var reference = new SteeringVector([new SteeringComponent("blocks.0.hook_resid_pre", 2, 2, [0f, 0f, 6f, 8f])]);

        Should.Throw<SteerException>(() => RandomControl.MeanPositionNorm(bosOnly)).Message.ShouldContain("no position past the first");
        Should.Throw<SteerException>(() => RandomControl.MatchNorm(zero, reference)).Message.ShouldContain("zero at every position");
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
