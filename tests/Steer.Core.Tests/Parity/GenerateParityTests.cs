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
}
