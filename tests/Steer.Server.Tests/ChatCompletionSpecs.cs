using System.Net;
using System.Text.Json;
using Steer.Architectures;
using Steer.Chat;
using Steer.Cli;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>A formula Qwen2 with its byte-level tokenizer and chat template, served in memory once per test class.</summary>
public sealed class ChatServerFixture : IDisposable
{
    public ChatServerFixture()
    {
        Factory = new SteerServerFactory(Model);
        Client = Factory.CreateClient();
    }

    public TestModel Model { get; } = new(ModelShapes.Get("qwen2-tiny"));

    public SteerServerFactory Factory { get; }

    public HttpClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        Model.Dispose();
    }
}

/// <summary>
/// <c>POST /v1/chat/completions</c>: the reply <c>steer chat --message</c> gives, OpenAI's response and chunk shapes, usage,
/// logprobs, steering (positions "assistant" included), template keyword arguments, and clear refusals.
/// </summary>
public sealed class ChatCompletionSpecs(ChatServerFixture fixture) : IClassFixture<ChatServerFixture>
{
    private HttpClient Client => fixture.Client;

    private static readonly object[] Conversation = [new { role = "system", content = "Be brief." }, new { role = "user", content = "Hi there" }];

    private static readonly object Steering = new { additions = new[] { new { plus = "Love", minus = "Hate", layer = 1, coeff = 6 } } };

    /// <summary>What <c>steer chat --message "Hi there" --system "Be brief."</c> prints as JSON.</summary>
    private JsonElement SteerChat(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        SteerCli.Run(["chat", "--model", fixture.Model.Path, "--system", "Be brief.", "--message", "Hi there", "--json", .. args], new CliContext(output, error))
            .ShouldBe(0, error.ToString());
        using var json = JsonDocument.Parse(output.ToString());
        return json.RootElement.Clone();
    }

    private static string Content(JsonElement response, int choice = 0) =>
        response.GetProperty("choices")[choice].GetProperty("message").GetProperty("content").GetString()!;

    [Fact]
    public async Task A_sampled_chat_completion_equals_steer_chat_with_the_same_seed()
    {
        // Arrange
        var expected = SteerChat("--max-new-tokens", "12", "--seed", "7");

        // Act
        var response = await Client.PostAsync("/v1/chat/completions", new { messages = Conversation, max_tokens = 12, seed = 7 });

        // Assert
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        var json = response.Json();
        json.GetProperty("object").GetString().ShouldBe("chat.completion");
        json.GetProperty("id").GetString()!.ShouldStartWith("chatcmpl-");
        var choice = json.GetProperty("choices")[0];
        choice.GetProperty("message").GetProperty("role").GetString().ShouldBe("assistant");
        Content(json).ShouldBe(expected.GetProperty("reply").GetString());
        choice.GetProperty("finish_reason").GetString().ShouldBe(expected.GetProperty("finish_reason").GetString());
        var usage = json.GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(expected.GetProperty("prompt_ids").GetArrayLength());
        usage.GetProperty("completion_tokens").GetInt32().ShouldBe(expected.GetProperty("reply_ids").GetArrayLength());
        usage.GetProperty("total_tokens").GetInt32().ShouldBe(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_steered_chat_completion_equals_steered_steer_chat_and_differs_from_the_unsteered_one()
    {
        // Arrange
        var steered = SteerChat("--max-new-tokens", "10", "--seed", "3", "--plus", "Love", "--minus", "Hate", "--layer", "1", "--coeff", "6");
        var unsteered = SteerChat("--max-new-tokens", "10", "--seed", "3");

        // Act
        var response = await Client.PostAsync("/v1/chat/completions", new { messages = Conversation, max_tokens = 10, seed = 3, steering = Steering });

        // Assert
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        Content(response.Json()).ShouldBe(steered.GetProperty("reply").GetString());
        steered.GetProperty("reply_ids").ToString().ShouldNotBe(unsteered.GetProperty("reply_ids").ToString());
    }

    [Fact]
    public async Task Steering_at_the_assistant_positions_equals_the_librarys_chat_turn()
    {
        // Arrange
        using var model = fixture.Model.Load();
        var template = ChatTemplateSource.FromDirectory(fixture.Model.Path)!;
        var prompt = ChatPrompt.Encode(template, model.Tokenizer, [new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi there")]);
        var values = Enumerable.Range(0, model.Shape.ModelDim).Select(i => 3f * MathF.Sin(i * 0.5f)).ToArray();
        var vector = new Steer.Steering.SteeringVector([Steer.Steering.SteeringComponent.Row("blocks.1.hook_resid_pre", values)]);
        var options = new Steer.Steering.SteeringOptions { Positions = Steer.Steering.PositionMode.Assistant, SkipSpecialTokens = true };
        var expected = ChatTurn.Generate(model, prompt, new Steer.Generation.GenerationOptions { MaxNewTokens = 8, Sampling = Steer.Generation.SamplingOptions.Greedy },
            vector, options);
        var path = Path.Combine(Path.GetTempPath(), $"steer-chat-vector-{Guid.NewGuid():N}.safetensors");
        Steer.Steering.SteeringVectorFile.Save(vector, path);
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
        File.Delete(path);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        var registered = await Client.PostAsync("/v1/vectors", content);
        var id = JsonDocument.Parse(await registered.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        // Act
        var response = await Client.PostAsync("/v1/chat/completions", new
        {
            messages = Conversation,
            max_tokens = 8,
            temperature = 0,
            steering = new { vector = id, positions = "assistant", skip_special_tokens = true },
        });

        // Assert
        registered.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        Content(response.Json()).ShouldBe(expected.Reply);
        response.Json().GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe(expected.FinishReason);
    }
}
