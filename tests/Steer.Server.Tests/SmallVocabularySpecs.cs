using Steer.Models.Gpt2;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>A served checkpoint whose vocabulary (1,000) is smaller than GPT-2's end-of-text id (50256).</summary>
public sealed class SmallVocabularySpecs : IDisposable
{
    private readonly TestModel _model = new(TestModel.Config with { VocabSize = 1000 });
    private readonly SteerServerFactory _factory;
    private readonly HttpClient _client;

    public SmallVocabularySpecs()
    {
        _factory = new SteerServerFactory(_model);
        _client = _factory.CreateClient();
    }

    [Fact]
    public async Task A_batch_of_two_token_id_prompts_of_different_lengths_completes_each_as_it_completes_alone()
    {
        // Arrange
        int[] longer = [5, 17, 333, 999, 42, 7], shorter = [999, 3];

        // Act
        var both = await _client.PostAsync("/v1/completions", new { model = _model.Path, prompt = new[] { longer, shorter }, max_tokens = 5, temperature = 0 });
        var alone = await _client.PostAsync("/v1/completions", new { model = _model.Path, prompt = shorter, max_tokens = 5, temperature = 0 });

        // Assert
        both.Status.ShouldBe(System.Net.HttpStatusCode.OK, both.Body);
        alone.Status.ShouldBe(System.Net.HttpStatusCode.OK, alone.Body);
        var choices = both.Json().GetProperty("choices").EnumerateArray().ToList();
        choices.Count.ShouldBe(2);
        choices[1].GetProperty("text").GetString().ShouldBe(alone.Json().GetProperty("choices")[0].GetProperty("text").GetString());
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        _model.Dispose();
    }
}
