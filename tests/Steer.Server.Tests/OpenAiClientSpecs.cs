using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.ServerSentEvents;
using System.Text.Json;
using OpenAI;
using Steer.Cli;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>
/// The official OpenAI .NET client (NuGet OpenAI) against a real running server. Version 2.x keeps its legacy
/// completions client internal, so completions go through the client's public pipeline (its authentication, retry
/// and error policies) to /v1/completions; /v1/models goes through its typed model client.
/// </summary>
public sealed class OpenAiClientSpecs(TestModel model) : IClassFixture<TestModel>
{
    private const string Prompt = "I hate you because";

    private static (OpenAIClient Client, Uri Endpoint) Client(RealServer server)
    {
        var endpoint = new Uri(server.Address, "v1");
        return (new OpenAIClient(new ApiKeyCredential("not-checked"), new OpenAIClientOptions { Endpoint = endpoint }), endpoint);
    }

    private static async Task<PipelineResponse> CompleteAsync((OpenAIClient Client, Uri Endpoint) openAi, object body, bool stream = false)
    {
        var client = openAi.Client;
        using var message = client.Pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(openAi.Endpoint + "/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromObjectAsJson(body));
        message.BufferResponse = !stream;
        await client.Pipeline.SendAsync(message);
        var response = message.ExtractResponse()!;
        return response.IsError ? throw await ClientResultException.CreateAsync(response) : response;
    }

    private string[] Generate(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        SteerCli.Run(["generate", "--model", model.Path, "--json", .. args], new CliContext(output, error)).ShouldBe(0, error.ToString());
        using var json = JsonDocument.Parse(output.ToString());
        return json.RootElement.GetProperty("completions").EnumerateArray().Select(c => c.GetProperty("text").GetString()!).ToArray();
    }

    private static string[] Texts(PipelineResponse response)
    {
        using var json = JsonDocument.Parse(response.Content);
        return json.RootElement.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()!).ToArray();
    }

    [Fact]
    public async Task The_official_clients_model_client_lists_the_served_model()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);

        // Act
        var models = (await Client(server).Client.GetOpenAIModelClient().GetModelsAsync()).Value;

        // Assert
        var served = models.ShouldHaveSingleItem();
        served.Id.ShouldBe(server.ModelId);
        served.OwnedBy.ShouldBe("steer");
    }

    [Fact]
    public async Task A_plain_completion_through_the_official_client_equals_steer_generate()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        var expected = Generate("--prompt", Prompt, "--max-new-tokens", "10", "--seed", "11", "-n", "2");

        // Act
        var response = await CompleteAsync(Client(server), new { model = server.ModelId, prompt = Prompt, max_tokens = 10, seed = 11, n = 2 });

        // Assert
        Texts(response).ShouldBe(expected);
    }

    [Fact]
    public async Task A_steered_completion_through_the_official_client_equals_steer_generate_with_the_same_pair()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        var expected = Generate("--prompt", Prompt, "--max-new-tokens", "10", "--seed", "12", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "5");

        // Act
        var response = await CompleteAsync(Client(server), new
        {
            model = server.ModelId,
            prompt = Prompt,
            max_tokens = 10,
            seed = 12,
            steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 5 } } },
        });

        // Assert
        Texts(response).ShouldBe(expected);
    }

    [Fact]
    public async Task A_streamed_completion_read_with_the_sse_parser_adds_up_to_the_whole_completion()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        var client = Client(server);
        var request = new { model = server.ModelId, prompt = Prompt, max_tokens = 12, seed = 13, stream = false };
        var whole = Texts(await CompleteAsync(client, request)).Single();

        // Act
        var response = await CompleteAsync(client, request with { stream = true }, stream: true);
        var data = new List<string>();
        await foreach (var item in SseParser.Create(response.ContentStream!).EnumerateAsync()) data.Add(item.Data);

        // Assert
        data[^1].ShouldBe("[DONE]");
        var text = string.Concat(data.SkipLast(1).Select(d => JsonDocument.Parse(d).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()));
        text.ShouldBe(whole);
    }

    [Fact]
    public async Task A_bad_request_surfaces_in_the_official_client_as_a_400_with_the_servers_message()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);

        // Act
        var error = await Should.ThrowAsync<ClientResultException>(() =>
            CompleteAsync(Client(server), new { model = server.ModelId, prompt = Prompt, steering = new { recipe = "no-such-recipe" } }));

        // Assert
        error.Status.ShouldBe(400);
        using var body = JsonDocument.Parse(error.GetRawResponse()!.Content);
        body.RootElement.GetProperty("error").GetProperty("type").GetString().ShouldBe("invalid_request_error");
        body.RootElement.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("no recipe named 'no-such-recipe'");
    }
}
