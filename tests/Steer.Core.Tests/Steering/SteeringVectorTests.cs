using Steer.Steering;

namespace Steer.Tests.Steering;

public sealed class SteeringVectorTests
{
    private static SteeringVector Vector(string hook, int positions, params float[] values) =>
        new([new SteeringComponent(hook, positions, values.Length / positions, values)]);

    [Fact]
    public void Scaling_by_zero_equals_subtracting_a_vector_from_itself()
    {
        var v = Vector("blocks.1.hook_resid_pre", 2, 1f, -2f, 3.5f, 0.25f);

        (v * 0).ApproximatelyEquals(v - v, 0).ShouldBeTrue();
        (v * 0).Components.Single().Values.ShouldAllBe(x => x == 0f);
    }

    [Fact]
    public void Negation_and_scaling_commute_and_division_inverts_scaling()
    {
        var v = Vector("blocks.1.hook_resid_pre", 2, 1f, -2f, 3.5f, 0.25f);

        (-(v * -3)).ApproximatelyEquals(v * 3, 0).ShouldBeTrue();
        (3 * v).ApproximatelyEquals(v * 3, 0).ShouldBeTrue();
        (v * 4 / 4).ApproximatelyEquals(v, 1e-7).ShouldBeTrue();
        (v * 2).Components.Single().Values.ShouldBe([2f, -4f, 7f, 0.5f]);
    }

    [Fact]
    public void Components_at_one_hook_point_sum_after_zero_padding_the_shorter()
    {
        var a = Vector("blocks.0.hook_resid_pre", 1, 1f, 2f);
        var b = Vector("blocks.0.hook_resid_pre", 2, 10f, 20f, 30f, 40f);

        var sum = a + b;

        var component = sum.Components.ShouldHaveSingleItem();
        component.Positions.ShouldBe(2);
        component.Values.ShouldBe([11f, 22f, 30f, 40f]);
        sum.Positions.ShouldBe(2);
    }

    [Fact]
    public void Components_at_different_hook_points_stay_apart()
    {
        var sum = Vector("blocks.0.hook_resid_pre", 1, 1f, 2f) + Vector("blocks.1.hook_resid_pre", 1, 3f, 4f);

        sum.Components.Select(c => c.HookPoint).ShouldBe(["blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre"]);
    }

    [Fact]
    public void Approximate_equality_is_relative_to_the_vector_norm()
    {
        var v = Vector("h", 1, 300f, 400f);                           // norm 500
        var close = Vector("h", 1, 300.004f, 400f);
        var far = Vector("h", 1, 301f, 400f);

        v.ApproximatelyEquals(close, 1e-5).ShouldBeTrue();
        v.ApproximatelyEquals(far, 1e-5).ShouldBeFalse();
        v.ApproximatelyEquals(Vector("other", 1, 300f, 400f)).ShouldBeFalse();
    }

    [Fact]
    public void Metadata_follows_arithmetic()
    {
        var a = Vector("h", 1, 1f).WithMetadata(new SteeringMetadata { Model = "m", Additions = [new Addition { Plus = "Love", Minus = "Hate", HookPoint = "h", Coeff = 2, PadId = 220 }] });
        var b = Vector("h", 1, 1f).WithMetadata(new SteeringMetadata { Additions = [new Addition { Plus = "x", HookPoint = "h", Coeff = 1 }] });

        var combined = (a + b) * 3;

        combined.Metadata.Model.ShouldBe("m");
        combined.Metadata.Additions.Select(x => x.Coeff).ShouldBe([6.0, 3.0]);
    }

    [Fact]
    public void Bad_arithmetic_is_a_clear_error()
    {
        var v = Vector("h", 1, 1f, 2f);

        Should.Throw<SteerException>(() => v * double.NaN).Kind.ShouldBe(ErrorKind.InvalidArgument);
        Should.Throw<SteerException>(() => v / 0).Kind.ShouldBe(ErrorKind.InvalidArgument);
        Should.Throw<SteerException>(() => v + Vector("h", 1, 1f, 2f, 3f)).Message.ShouldContain("width");
    }
}
