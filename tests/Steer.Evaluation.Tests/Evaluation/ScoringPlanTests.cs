using Steer.Evaluation;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Tests.Cli;

namespace Steer.Tests.Evaluation;

/// <summary>Scoring plans: batches formed once, and steered passes that start at the vector's block.</summary>
public sealed class ScoringPlanTests(CliModelFixture fixture) : IClassFixture<CliModelFixture>
{
    private LanguageModel Model => fixture.Model;

    private IReadOnlyList<IReadOnlyList<int>> Sentences =>
        Topic.BuiltIn("cooking").Sentences.Take(12).Select(s => Model.Tokenizer.Encode(s)).ToList();

    [Fact]
    public void A_steered_pass_from_the_kept_residuals_is_bit_identical_to_a_full_pass()
    {
        // Arrange
        var vector = ActAdd.Pair(Model, " weddings", "", 1, 6);
        var scorer = new BatchScorer(Model, tokenBudget: 64);
        using var plan = new ScoringPlan(scorer, Sentences, residualBytes: 1L << 30);
        var unsteered = plan.Score();

        // Act
        var fromBlock1 = plan.Score(vector);
        var full = scorer.TokenLogprobs(Sentences, vector);

        // Assert
        plan.HasResiduals.ShouldBeTrue();
        fromBlock1.ShouldBe(full);
        fromBlock1.ShouldNotBe(unsteered);
        unsteered.ShouldBe(scorer.TokenLogprobs(Sentences));
    }

    [Fact]
    public void Without_memory_for_residuals_the_plan_runs_full_passes_with_the_same_results()
    {
        // Arrange
        var topics = new[] { new Topic("cooking", Topic.BuiltIn("cooking").Sentences.Take(12).ToList()) };
        var vector = ActAdd.Pair(Model, " weddings", "", 1, 3);
        using var cached = new PerplexityEvaluation(Model, topics);
        using var uncached = new PerplexityEvaluation(Model, topics, new PerplexityOptions { ResidualCacheBytes = 0 });

        // Act
        var a = cached.Measure(vector).Single();
        var b = uncached.Measure(vector).Single();

        // Assert
        a.ShouldBe(b);
    }
}
