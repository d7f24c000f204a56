using System.Net;
using System.Net.Http.Headers;
using Steer.Generation;
using Steer.Hooks;
using Steer.Server.Tests.Infrastructure;
using Steer.Steering;
using Steer.Steering.Files;

namespace Steer.Server.Tests;

/// <summary>Vector files uploaded to POST /v1/vectors, and the steering fields that apply them (scale, positions, operator).</summary>
public sealed class ControlVectorSpecs : IDisposable
{
    private readonly TestModel _model = new();
    private readonly SteerServerFactory _factory;
    private readonly HttpClient _client;
    private readonly string _directory = Directory.CreateTempSubdirectory("steer-cvec-").FullName;

    public ControlVectorSpecs()
    {
        _factory = new SteerServerFactory(_model);
        _client = _factory.CreateClient();
    }

    private static SteeringVector Row(LanguageModel model) =>
        new([SteeringComponent.Row(HookNames.ResidPost(1), Enumerable.Range(0, model.Shape.ModelDim).Select(i => MathF.Sin(i * 0.3f)).ToArray())]);

    private async Task<(HttpStatusCode Status, string Body)> Upload(string path)
    {
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await _client.PostAsync("/v1/vectors?name=happy", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("v.gguf")]
    [InlineData("v.safetensors")]
    public async Task An_uploaded_vector_file_steers_by_id_with_scale_as_the_library_does(string file)
    {
        // Arrange
        using var model = _model.Load();
        var vector = Row(model);
        var path = Path.Combine(_directory, file);
        SteeringVectorFiles.Save(vector, path, model);
        int[] prompt = [50256, 40, 5465, 345];
        var expected = model.Generate([prompt], new GenerationOptions { MaxNewTokens = 6, Sampling = SamplingOptions.Greedy, StopAtEndOfText = false }, vector * 6,
            new SteeringOptions { Positions = PositionMode.Generated });

        // Act
        var (status, body) = await Upload(path);
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString();
        var response = await _client.PostAsync("/v1/completions", new
        {
            model = _model.Path,
            prompt,
            max_tokens = 6,
            temperature = 0,
            steering = new { vector = id, scale = 6, positions = "generated" },
        });

        // Assert
        status.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldContain("\"hook_points\":[\"blocks.1.hook_resid_post\"]");
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        response.Json().GetProperty("choices")[0].GetProperty("text").GetString().ShouldBe(model.Tokenizer.Decode(expected.Completions.Single()));
    }

    [Fact]
    public async Task Unusable_uploads_and_fields_are_400s_that_say_why()
    {
        var garbage = Path.Combine(_directory, "garbage.gguf");
        await File.WriteAllBytesAsync(garbage, "GGUF\u0003\0\0\0 truncated"u8.ToArray());

        var (status, body) = await Upload(garbage);
        var badPositions = await _client.PostAsync("/v1/completions", new
        {
            model = _model.Path,
            prompt = "Hi",
            steering = new { positions = "everywhere", additions = new[] { new { plus = "Love", layer = 1, coeff = 1 } } },
        });
        var scaleWithoutVector = await _client.PostAsync("/v1/completions", new
        {
            model = _model.Path,
            prompt = "Hi",
            steering = new { scale = 2, additions = new[] { new { plus = "Love", layer = 1, coeff = 1 } } },
        });

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldContain("the uploaded GGUF vector is not usable");
        badPositions.Status.ShouldBe(HttpStatusCode.BadRequest);
        badPositions.Body.ShouldContain("use front, prompt, generated, all or assistant");
        scaleWithoutVector.Status.ShouldBe(HttpStatusCode.BadRequest);
        scaleWithoutVector.Body.ShouldContain("scale multiplies a registered vector");
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        _model.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
