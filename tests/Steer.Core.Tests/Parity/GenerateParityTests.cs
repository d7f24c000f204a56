using Steer.Generation;

namespace Steer.Tests.Parity;

public sealed class GenerateParityTests(GoldenModelFixture models) : IClassFixture<GoldenModelFixture>
{
    public static IEnumerable<object[]> GenerateCases => GoldenCase.All("generate");

    [Theory]
    [MemberData(nameof(GenerateCases))]
    internal void Greedy_unsteered_generation_matches_the_reference_ids(GoldenCase c)
    {
        // Arrange
        var model = models[c.File];
        var options = new GenerationOptions { MaxNewTokens = c.Json.GetProperty("n").GetInt32(), Sampling = SamplingOptions.Greedy };

        // Act
        var result = model.Generate([c.Ids], options);

        // Assert
        result.Completions.Single().ShouldBe(c.Ints("unsteered_ids"));
    }

    [Theory]
    [MemberData(nameof(GenerateCases))]
    internal void Greedy_generation_of_a_left_padded_row_matches_the_reference_ids(GoldenCase c)
    {
        // Arrange: a longer first row makes the reference's row left-padded, so RoPE positions, masks and sliding
        // windows must all account for the padding, through every cached step.
        var model = models[c.File];
        var options = new GenerationOptions { MaxNewTokens = c.Json.GetProperty("n").GetInt32(), Sampling = SamplingOptions.Greedy, StopAtEndOfText = false };
        int[] longer = [.. c.Ids, .. c.Ids.Skip(1), .. c.Ids.Skip(1)];

        // Act
        var result = model.Generate([longer, c.Ids], options);

        // Assert
        result.Completions[1].ShouldBe(c.Ints("unsteered_ids"));
    }
}
