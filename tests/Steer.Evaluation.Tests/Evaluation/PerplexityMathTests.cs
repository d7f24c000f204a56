using Steer.Evaluation;

namespace Steer.Tests.Evaluation;

/// <summary>The perplexity ratio and its mask on numbers worked out by hand.</summary>
public sealed class PerplexityMathTests
{
    [Fact]
    public void The_ratio_with_mask_2_uses_only_predictions_from_position_2_on()
    {
        // Arrange: [BOS, t1, t2, t3, t4]; predictions from positions 0 and 1 (of t1, t2) are masked.
        var totals = new PerplexityTotals();
        double[] unsteered = [-1, -2, -3, -4];
        double[] steered = [-9, -9, -2, -2];

        // Act
        var added = PerplexityMask.Accumulate(totals, unsteered, steered, textTokens: 4, mask: 2, offset: 0);

        // Assert: Σ(steered − unsteered) = (−2 + 3) + (−2 + 4) = 3 over 2 tokens.
        added.ShouldBe(2);
        totals.Tokens.ShouldBe(2);
        totals.Ratio.ShouldBe(Math.Exp(-1.5), 1e-15);
        totals.PerplexityUnsteered.ShouldBe(Math.Exp(3.5), 1e-12);
        totals.PerplexitySteered.ShouldBe(Math.Exp(2.0), 1e-12);
    }

    [Fact]
    public void The_ratio_is_token_weighted_over_all_sentences_of_a_topic_not_a_mean_of_sentence_means()
    {
        // Arrange: sentence A has 1 kept token with difference +2, sentence B has 3 kept tokens with difference 0.
        var totals = new PerplexityTotals();
        PerplexityMask.Accumulate(totals, [-5, -5, -4], [-5, -5, -2], textTokens: 3, mask: 2, offset: 0);
        PerplexityMask.Accumulate(totals, [-5, -5, -1, -1, -1], [-5, -5, -1, -1, -1], textTokens: 5, mask: 2, offset: 0);

        // Act
        var ratio = totals.Ratio;

        // Assert: exp(−2 / 4), where the mean of sentence means would give exp(−(2 + 0) / 2).
        ratio.ShouldBe(Math.Exp(-0.5), 1e-15);
    }

    [Fact]
    public void With_one_inserted_token_the_steered_run_is_read_one_position_later_and_the_same_text_tokens_are_compared()
    {
        // Arrange: unsteered [BOS, t1, t2, t3]; steered [BOS, pad, t1, t2, t3], mask 2 drops its predictions of pad and t1.
        var totals = new PerplexityTotals();
        double[] unsteered = [-1, -2, -3];          // t1, t2, t3
        double[] steered = [-7, -8, -1, -1];        // pad, t1, t2, t3

        // Act
        var added = PerplexityMask.Accumulate(totals, unsteered, steered, textTokens: 3, mask: 2, offset: 1);

        // Assert: t2 and t3 are compared: (−1 + 2) + (−1 + 3) = 3.
        added.ShouldBe(2);
        totals.SumUnsteered.ShouldBe(-5);
        totals.SumSteered.ShouldBe(-2);
        totals.Ratio.ShouldBe(Math.Exp(-1.5), 1e-15);
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(2, 0, 3)]
    [InlineData(2, 1, 2)]
    [InlineData(2, 5, 1)]
    public void The_first_scored_text_token_follows_the_mask_and_the_inserted_tokens(int mask, int offset, int first)
    {
        // Act
        var scored = PerplexityMask.FirstScoredToken(mask, offset);

        // Assert
        scored.ShouldBe(first);
    }

    [Fact]
    public void Identical_log_probs_give_a_ratio_of_exactly_1()
    {
        // Arrange
        var totals = new PerplexityTotals();
        double[] logprobs = [-0.1, -7.3, -2.25, -1e-9];

        // Act
        PerplexityMask.Accumulate(totals, logprobs, logprobs, textTokens: 4, mask: 0, offset: 0);

        // Assert
        totals.Ratio.ShouldBe(1.0);
    }
}
