using System.Net;
using Steer.Architectures;
using Steer.Generation;
using Steer.Hooks;
using Steer.Server.Tests.Infrastructure;
using Steer.Steering.Methods;

namespace Steer.Server.Tests;

/// <summary>A served Llama-family model steers as the library does, from text and from literal token ids.</summary>
public sealed class LlamaFamilySpecs : IDisposable
{
    private readonly TestModel _model = new(ModelShapes.Get("qwen2-tiny"));
    private readonly SteerServerFactory _factory;
    private readonly HttpClient _client;

    public LlamaFamilySpecs()
    {
        _factory = new SteerServerFactory(_model);
        _client = _factory.CreateClient();
    }

    [Fact]
    public async Task A_steered_completion_equals_the_librarys_greedy_steered_generation()
    {
        // Arrange
        using var model = _model.Load();
        var prompt = model.Tokenizer.Encode("I hate you because");
        var vector = ActAdd.Pair(model, "Love", "Hate", 1, 5);
        var expected = model.Generate([prompt], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy }, vector);

        // Act
        var response = await _client.PostAsync("/v1/completions", new
        {
            model = _model.Path,
            prompt = "I hate you because",
            max_tokens = 6,
            temperature = 0,
            steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 } } },
        });

        // Assert
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        response.Json().GetProperty("choices")[0].GetProperty("text").GetString()
            .ShouldBe(model.Tokenizer.Decode(expected.Completions.Single().TakeWhile(id => !model.StopIds.Contains(id))));
    }

    [Fact]
    public async Task Plus_ids_and_minus_ids_steer_with_the_literal_ids()
    {
        // Arrange
        using var model = _model.Load();
        int[] prompt = [1, 40, 41, 42];
        var vector = ActAdd.Pair(model, [1, 300], [1, 301, 302], HookNames.ResidPre(1), 5, padId: 3);
        var expected = model.Generate([prompt], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false }, vector);

        // Act
        var response = await _client.PostAsync("/v1/completions", new
        {
            model = _model.Path,
            prompt,
            max_tokens = 6,
            temperature = 0,
            steering = new { pad_id = 3, additions = new[] { new { plus_ids = new[] { 1, 300 }, minus_ids = new[] { 1, 301, 302 }, layer = 1, coeff = 5 } } },
        });
        var bad = await _client.PostAsync("/v1/completions", new
        {
            model = _model.Path,
            prompt,
            max_tokens = 6,
            steering = new { additions = new[] { new { plus_ids = new[] { 1, 512 }, layer = 1, coeff = 5 } } },
        });

        // Assert
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        response.Json().GetProperty("choices")[0].GetProperty("text").GetString()
            .ShouldBe(model.Tokenizer.Decode(expected.Completions.Single()));
        bad.Status.ShouldBe(HttpStatusCode.BadRequest);
        bad.Body.ShouldContain("plus_ids[1] must be a token id from 0 to 511, got 512");
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        _model.Dispose();
    }
}
