using Steer.Evaluation.Sweeps;

namespace Steer.Tests.Evaluation;

/// <summary>--layers and --coeffs specifications.</summary>
public sealed class SweepGridTests
{
    [Fact]
    public void A_layer_range_is_inclusive_and_a_list_keeps_its_order()
    {
        // Assert
        SweepGrid.ParseLayers("0..11").ShouldBe(Enumerable.Range(0, 12));
        SweepGrid.ParseLayers("8, 0,4").ShouldBe([8, 0, 4]);
        SweepGrid.ParseLayers("3..3").ShouldBe([3]);
    }

    [Fact]
    public void Linspace_gives_n_evenly_spaced_coefficients_with_both_ends_exact()
    {
        // Act
        var coeffs = SweepGrid.ParseCoefficients("linspace(-1, 4, 11)");

        // Assert
        coeffs.Count.ShouldBe(11);
        coeffs[0].ShouldBe(-1);
        coeffs[^1].ShouldBe(4);
        coeffs[2].ShouldBe(0, 1e-15);
        SweepGrid.ParseCoefficients("0,0.5,1e1").ShouldBe([0, 0.5, 10]);
    }

    [Theory]
    [InlineData("5..2")]
    [InlineData("a..b")]
    [InlineData("1,,2")]
    [InlineData("-1")]
    [InlineData("1,1")]
    public void A_bad_layer_specification_is_a_usage_error(string spec)
    {
        // Act
        var error = Should.Throw<SteerException>(() => SweepGrid.ParseLayers(spec));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
    }

    [Theory]
    [InlineData("linspace(0,1,0)")]
    [InlineData("linspace(0,nan,3)")]
    [InlineData("1,x")]
    [InlineData("inf")]
    public void A_bad_coefficient_specification_is_a_usage_error(string spec)
    {
        // Act
        var error = Should.Throw<SteerException>(() => SweepGrid.ParseCoefficients(spec));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
    }
}
