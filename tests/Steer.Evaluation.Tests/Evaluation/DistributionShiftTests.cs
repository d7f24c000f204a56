using Steer.Evaluation;

namespace Steer.Tests.Evaluation;

/// <summary>KL(steered‖unsteered), its per-token terms and the token rankings, on distributions worked out by hand.</summary>
public sealed class DistributionShiftTests
{
    private static double[] Log(params double[] p) => p.Select(x => Math.Log(x)).ToArray();

    [Fact]
    public void Each_contribution_is_p_steered_times_the_log_ratio_and_they_sum_to_the_KL()
    {
        // Arrange
        var unsteered = Log(0.5, 0.25, 0.25);
        var steered = Log(0.25, 0.25, 0.5);

        // Act
        var shift = DistributionShift.Compare(unsteered, steered, topK: 3, id => $"t{id}");

        // Assert: 0.25·ln(0.5) + 0 + 0.5·ln(2) = 0.25·ln 2.
        shift.Kl.ShouldBe(0.25 * Math.Log(2), 1e-12);
        shift.TopContributors.Select(t => t.Id).ShouldBe([2, 1, 0]);
        shift.TopContributors[0].KlContribution.ShouldBe(0.5 * Math.Log(2), 1e-12);
        shift.TopContributors[1].KlContribution.ShouldBe(0, 1e-15);
        shift.TopContributors[2].KlContribution.ShouldBe(0.25 * Math.Log(0.5), 1e-12);
        shift.TopContributors[0].Text.ShouldBe("t2");
    }

    [Fact]
    public void Top_by_ratio_ranks_the_union_of_both_distributions_top_k()
    {
        // Arrange: top-1 unsteered is token 0, top-1 steered is token 3; token 2's big ratio is in neither top-1.
        var unsteered = Log(0.6, 0.2, 0.01, 0.19);
        var steered = Log(0.3, 0.1, 0.1, 0.5);

        // Act
        var shift = DistributionShift.Compare(unsteered, steered, topK: 1, id => $"t{id}");

        // Assert
        shift.TopTokens.Select(t => t.Id).ShouldBe([0, 3]);
        shift.TopByRatio.Select(t => t.Id).ShouldBe([3]);
        shift.TopByRatio[0].Ratio.ShouldBe(0.5 / 0.19, 1e-12);
    }

    [Fact]
    public void Identical_distributions_have_a_KL_of_exactly_0()
    {
        // Arrange
        var p = Log(0.7, 0.2, 0.1);

        // Act
        var shift = DistributionShift.Compare(p, p, topK: 2, id => "");

        // Assert
        shift.Kl.ShouldBe(0.0);
        shift.TopByRatio.ShouldAllBe(t => t.Ratio == 1.0);
    }

    [Fact]
    public void A_token_the_steered_model_never_predicts_contributes_nothing()
    {
        // Act
        var contribution = DistributionShift.Contribution(0, 0.3);

        // Assert
        contribution.ShouldBe(0);
        DistributionShift.Contribution(0.2, 0).ShouldBe(double.PositiveInfinity);
    }
}
