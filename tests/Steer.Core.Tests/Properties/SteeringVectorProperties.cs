using CsCheck;
using Steer.Steering;

namespace Steer.Tests.Properties;

/// <summary>Steering vectors form a vector space, up to float rounding.</summary>
public class SteeringVectorProperties
{
    private const int ModelDim = 4;

    /// <summary>Relative to the vectors' largest position norm (see <see cref="SteeringVector.ApproximatelyEquals"/>).</summary>
    private const double Tolerance = 1e-5;

    private static readonly Gen<SteeringComponent> GenComponent =
        from hookPoint in Gen.OneOf("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post")
        from mode in Gen.OneOf(PositionMode.Front, PositionMode.All, PositionMode.Generated)
        from positions in mode == PositionMode.Front ? Gen.Int[1, 3] : Gen.Const(1)
        from values in Gen.Float[-100f, 100f].Array[positions * ModelDim]
        select new SteeringComponent(hookPoint, positions, ModelDim, values) { Mode = mode };

    private static readonly Gen<SteeringVector> GenVector = GenComponent.Array[1, 4].Select(c => new SteeringVector(c));

    private static readonly Gen<double> GenFactor = Gen.Double[-10, 10];

    [Fact]
    public void A_vector_minus_itself_is_zero() =>
        GenVector.Sample(a => (a - a).Components.ShouldAllBe(c => c.Values.All(v => v == 0f)), iter: 1000);

    [Fact]
    public void Scaling_a_difference_is_scaling_the_reversed_difference_by_the_opposite() =>
        Gen.Select(GenVector, GenVector, GenFactor).Sample((a, b, c) =>
            (c * (a - b)).ApproximatelyEquals(-c * (b - a), Tolerance).ShouldBeTrue(), iter: 1000);

    [Fact]
    public void Addition_is_associative() =>
        Gen.Select(GenVector, GenVector, GenVector).Sample((a, b, c) =>
            ((a + b) + c).ApproximatelyEquals(a + (b + c), Tolerance).ShouldBeTrue(), iter: 1000);

    [Fact]
    public void Adding_zero_times_a_vector_changes_nothing() =>
        Gen.Select(GenVector, GenVector).Sample((a, b) => (b + 0 * a).ApproximatelyEquals(b, Tolerance).ShouldBeTrue(), iter: 1000);
}
