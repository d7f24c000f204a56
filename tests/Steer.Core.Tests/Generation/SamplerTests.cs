using Steer.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Tests.Generation;

/// <summary>The sampler on hand-made logits, against values worked out by hand.</summary>
public sealed class SamplerTests
{
    private static Tensor Row(params float[] values) => tensor(values).unsqueeze(0);        // [1, vocab]

    private static float[] Processed(float[] logits, float[] counts, SamplingOptions options) =>
        Sampler.ProcessLogits(Row(logits), Row(counts), options).squeeze(0).data<float>().ToArray();

    [Fact]
    public void Temperature_divides_the_logits()
    {
        var result = Processed([2f, -4f, 1f], [0, 0, 0], new SamplingOptions { Temperature = 0.5 });
        result.ShouldBe([4f, -8f, 2f]);
    }

    [Fact]
    public void Frequency_penalty_is_subtracted_once_per_occurrence_after_the_temperature_division()
    {
        // (logit / T) - 1.5 * count: [2/2 - 0, 4/2 - 3, 6/2 - 1.5]
        var result = Processed([2f, 4f, 6f], [0, 2, 1], new SamplingOptions { Temperature = 2, FrequencyPenalty = 1.5 });
        result.ShouldBe([1f, -1f, 1.5f]);
    }

    [Fact]
    public void Presence_penalty_is_subtracted_once_from_every_token_present()
    {
        var result = Processed([1f, 1f, 1f], [0, 3, 1], new SamplingOptions { PresencePenalty = 0.25 });
        result.ShouldBe([1f, 0.75f, 0.75f]);
    }

    [Fact]
    public void Top_k_keeps_the_k_largest_logits()
    {
        var result = Processed([0.1f, 3f, 2f, -1f, 2.5f], [0, 0, 0, 0, 0], new SamplingOptions { TopK = 2 });
        result.ShouldBe([float.NegativeInfinity, 3f, float.NegativeInfinity, float.NegativeInfinity, 2.5f]);
    }

    [Fact]
    public void Top_k_wins_over_top_p()
    {
        var result = Processed([3f, 2f, 1f], [0, 0, 0], new SamplingOptions { TopK = 2, TopP = 0.01 });
        result.ShouldBe([3f, 2f, float.NegativeInfinity]);
    }

    [Fact]
    public void Top_p_keeps_the_token_that_crosses_the_threshold()
    {
        // probabilities 0.5, 0.3, 0.2 (log-probs as logits); cumulative 0.5, 0.8, 1.0
        float[] logits = [MathF.Log(0.2f), MathF.Log(0.5f), MathF.Log(0.3f)];
        var keepTwo = Processed(logits, [0, 0, 0], new SamplingOptions { TopP = 0.6 });
        var keepOne = Processed(logits, [0, 0, 0], new SamplingOptions { TopP = 0.3 });
        var keepAll = Processed(logits, [0, 0, 0], new SamplingOptions { TopP = 0.85 });

        keepTwo.Select(float.IsNegativeInfinity).ShouldBe([true, false, false]);
        keepOne.Select(float.IsNegativeInfinity).ShouldBe([true, false, true], "the top token is always kept");
        keepAll.Select(float.IsNegativeInfinity).ShouldBe([false, false, false]);
    }

    [Fact]
    public void Temperature_zero_is_greedy_with_the_lowest_id_among_ties()
    {
        var next = Sampler.Sample(Row(1f, 5f, 5f, 2f), Row(0, 0, 0, 0), SamplingOptions.Greedy, []);
        next.item<long>().ShouldBe(1);
    }

    [Fact]
    public void Filtered_tokens_are_never_sampled_and_a_seed_repeats_the_draws()
    {
        // Arrange
        var logits = tensor(new float[] { 0f, 0f, 0f, 0f, -50f, 0f }).unsqueeze(0).repeat(200, 1); // [200, 6]
        var counts = zeros(200, 6);
        counts[.., 0] = tensor(3f);                                                                 // token 0 heavily penalised
        var options = new SamplingOptions { TopK = 4, FrequencyPenalty = 10 };

        // Act
        torch.Generator[] Generators() => Enumerable.Range(0, 200).Select(b => new torch.Generator(Sampler.RowSeed(42, b), CPU)).ToArray();
        var first = Sampler.Sample(logits, counts, options, Generators()).data<long>().ToArray();
        var again = Sampler.Sample(logits, counts, options, Generators()).data<long>().ToArray();

        // Assert
        again.ShouldBe(first);
        first.ShouldAllBe(id => id == 1 || id == 2 || id == 3 || id == 5);
        first.Distinct().Count().ShouldBe(4, "all four kept tokens are equally likely, so 200 draws see each");
    }

    [Theory]
    [InlineData(double.NaN, null, null)]
    [InlineData(-1.0, null, null)]
    [InlineData(1.0, 0.0, null)]
    [InlineData(1.0, 1.5, null)]
    [InlineData(1.0, null, 0)]
    public void Invalid_sampling_options_are_rejected(double temperature, double? topP, int? topK)
    {
        var options = new SamplingOptions { Temperature = temperature, TopP = topP, TopK = topK };
        Should.Throw<SteerException>(() => options.Validate()).Kind.ShouldBe(ErrorKind.InvalidArgument);
    }
}
