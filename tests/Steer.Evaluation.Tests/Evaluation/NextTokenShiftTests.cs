using Steer.Evaluation;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Cli;

namespace Steer.Tests.Evaluation;

/// <summary>Next-token distribution shifts and per-token differences on a formula model.</summary>
public sealed class NextTokenShiftTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;
    private SteeringVector Weddings => ActAdd.Pair(Model, " weddings", "", 1, 1);
    private IReadOnlyList<int> Prompt => Model.Tokenizer.Encode("I'm excited because I'm going to a");

    [Fact]
    public void The_default_position_is_the_last_and_a_zero_vector_shifts_nothing()
    {
        // Act
        var (position, shift) = NextTokenShift.Measure(Model, Prompt, Weddings * 0);

        // Assert
        position.ShouldBe(9);
        shift.Kl.ShouldBe(0.0);
    }

    [Fact]
    public void The_KL_is_positive_and_at_least_the_sum_of_the_top_contributions_when_those_are_positive()
    {
        // Act
        var (_, shift) = NextTokenShift.Measure(Model, Prompt, Weddings * 8, topK: 5);

        // Assert
        shift.Kl.ShouldBeGreaterThan(0);
        shift.TopContributors.Count.ShouldBe(5);
        shift.TopContributors.Select(t => t.KlContribution).ShouldBeInOrder(SortDirection.Descending);
        shift.TopByRatio.Select(t => t.Ratio).ShouldBeInOrder(SortDirection.Descending);
        shift.TopContributors[0].Text.ShouldBe(Model.Tokenizer.TokenText(shift.TopContributors[0].Id));
    }

    [Fact]
    public void A_position_outside_the_prompt_is_a_usage_error()
    {
        // Act
        var error = Should.Throw<SteerException>(() => NextTokenShift.Measure(Model, Prompt, Weddings, position: 10));

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidArgument);
        NextTokenShift.Measure(Model, Prompt, Weddings, position: -2).Position.ShouldBe(8);
    }

    [Fact]
    public void Token_differences_equal_the_steered_minus_the_unsteered_score_and_mask_the_first_n_predictions()
    {
        // Arrange
        var ids = Model.Tokenizer.Encode("The bride smiled at the groom.");
        var vector = Weddings * 3;
        var clean = Model.Score(ids).TokenLogprobs;
        var steered = Model.Score(ids, vector).TokenLogprobs;

        // Act
        var tokens = TokenDifferences.Measure(Model, ids, vector);

        // Assert
        tokens.Count.ShouldBe(ids.Count - 1);
        tokens.Select(t => t.Masked).ShouldBe(Enumerable.Range(1, ids.Count - 1).Select(k => k < 3));
        for (var k = 0; k < tokens.Count; k++) tokens[k].Difference.ShouldBe(steered[k] - clean[k], 1e-12);
    }
}
