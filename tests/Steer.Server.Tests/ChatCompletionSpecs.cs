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

/// <summary>Streamed chat completions as OpenAI streams them, and logprobs.</summary>
public sealed class ChatStreamingSpecs(ChatServerFixture fixture) : IClassFixture<ChatServerFixture>
{
    private HttpClient Client => fixture.Client;

    private static readonly object[] Conversation = [new { role = "user", content = new object[] { new { type = "text", text = "Hi " }, new { type = "text", text = "there" } } }];

    [Fact]
    public async Task Streamed_chunks_concatenate_to_the_non_streamed_reply_with_role_first_finish_last_and_usage()
    {
        // Arrange
        var whole = await Client.PostAsync("/v1/chat/completions", new { messages = Conversation, max_tokens = 12, seed = 5, n = 2 });

        // Act
        var streamed = await Client.PostAsync("/v1/chat/completions", new
        {
            messages = Conversation,
            max_tokens = 12,
            seed = 5,
            n = 2,
            stream = true,
            stream_options = new { include_usage = true },
        });

        // Assert
        whole.Status.ShouldBe(HttpStatusCode.OK, whole.Body);
        streamed.Status.ShouldBe(HttpStatusCode.OK, streamed.Body);
        streamed.Response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = Api.Events(streamed.Body);
        events[^1].ShouldBe("[DONE]");
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement.Clone()).ToList();
        chunks.ShouldAllBe(c => c.GetProperty("object").GetString() == "chat.completion.chunk");
        chunks.Select(c => c.GetProperty("id").GetString()).Distinct().Count().ShouldBe(1);
        var usageChunk = chunks[^1];
        usageChunk.GetProperty("choices").GetArrayLength().ShouldBe(0);
        usageChunk.GetProperty("usage").ToString().ShouldBe(whole.Json().GetProperty("usage").ToString());
        chunks.SkipLast(1).ShouldAllBe(c => c.GetProperty("usage").ValueKind == JsonValueKind.Null);
        for (var choice = 0; choice < 2; choice++)
        {
            var mine = chunks.SkipLast(1).Select(c => c.GetProperty("choices")[0]).Where(c => c.GetProperty("index").GetInt32() == choice).ToList();
            mine[0].GetProperty("delta").GetProperty("role").GetString().ShouldBe("assistant");
            mine[^1].GetProperty("delta").EnumerateObject().ShouldBeEmpty();
            var expected = whole.Json().GetProperty("choices")[choice];
            mine[^1].GetProperty("finish_reason").GetString().ShouldBe(expected.GetProperty("finish_reason").GetString());
            mine.SkipLast(1).ShouldAllBe(c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.Null);
            string.Concat(mine.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""))
                .ShouldBe(expected.GetProperty("message").GetProperty("content").GetString());
        }
    }

    [Fact]
    public async Task Logprobs_give_each_reply_token_its_bytes_and_the_asked_number_of_alternatives()
    {
        // Act
        var response = await Client.PostAsync("/v1/chat/completions", new { messages = Conversation, max_tokens = 6, temperature = 0, logprobs = true, top_logprobs = 3 });

        // Assert
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        var choice = response.Json().GetProperty("choices")[0];
        var content = choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
        var completionTokens = response.Json().GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        var stopped = choice.GetProperty("finish_reason").GetString() == "stop";
        content.Count.ShouldBe(stopped ? completionTokens - 1 : completionTokens, "one entry per token of the reply (the end-of-turn token is not in it)");
        string.Concat(content.Select(e => e.GetProperty("token").GetString())).ShouldBe(choice.GetProperty("message").GetProperty("content").GetString());
        foreach (var entry in content)
        {
            var top = entry.GetProperty("top_logprobs").EnumerateArray().ToList();
            top.Count.ShouldBe(3);
            // Greedy: the chosen token is the most likely one, so it leads the alternatives with the same log-probability.
            top[0].GetProperty("token").GetString().ShouldBe(entry.GetProperty("token").GetString());
            top[0].GetProperty("logprob").GetDouble().ShouldBe(entry.GetProperty("logprob").GetDouble(), 1e-9);
            top.Select(t => t.GetProperty("logprob").GetDouble()).ShouldBeInOrder(SortDirection.Descending);
            entry.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray()
                .ShouldBe(System.Text.Encoding.UTF8.GetBytes(entry.GetProperty("token").GetString()!));
        }
        (await Client.PostAsync("/v1/chat/completions", new { messages = Conversation, max_tokens = 2 })).Json()
            .GetProperty("choices")[0].GetProperty("logprobs").ValueKind.ShouldBe(JsonValueKind.Null);
    }
}
