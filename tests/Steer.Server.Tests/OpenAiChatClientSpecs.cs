using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Steer.Architectures;
using Steer.Cli;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>The official OpenAI .NET client's <see cref="ChatClient"/> against a real running server, streaming and not.</summary>
public sealed class OpenAiChatClientSpecs : IDisposable
{
    private readonly TestModel _model = new(ModelShapes.Get("qwen2-tiny"));

    public void Dispose() => _model.Dispose();

    private static ChatClient Client(RealServer server) =>
        new(server.ModelId, new ApiKeyCredential("not-checked"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

    private static readonly ChatMessage[] Messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Hi there")];

    private string SteerChat(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        SteerCli.Run(["chat", "--model", _model.Path, "--system", "Be brief.", "--message", "Hi there", "--json", .. args], new CliContext(output, error))
            .ShouldBe(0, error.ToString());
        using var json = JsonDocument.Parse(output.ToString());
        return json.RootElement.GetProperty("reply").GetString()!;
    }

    [Fact]
    public async Task CompleteChat_through_the_official_client_equals_steer_chat()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(_model);
#pragma warning disable OPENAI001   // Seed is marked experimental in the client
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, Seed = 9 };
#pragma warning restore OPENAI001
        var expected = SteerChat("--max-new-tokens", "12", "--seed", "9");

        // Act
        ChatCompletion completion = await Client(server).CompleteChatAsync(Messages, options);

        // Assert
        completion.Role.ShouldBe(ChatMessageRole.Assistant);
        completion.Content.ShouldHaveSingleItem().Text.ShouldBe(expected);
        completion.FinishReason.ShouldBeOneOf(ChatFinishReason.Stop, ChatFinishReason.Length);
        completion.Usage.InputTokenCount.ShouldBeGreaterThan(0);
        completion.Usage.TotalTokenCount.ShouldBe(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_through_the_official_client_concatenates_to_steer_chat_and_reports_usage()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(_model);
#pragma warning disable OPENAI001
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, Seed = 9 };
#pragma warning restore OPENAI001
        var expected = SteerChat("--max-new-tokens", "12", "--seed", "9");

        // Act
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var updates = 0;
        await foreach (var update in Client(server).CompleteChatStreamingAsync(Messages, options))
        {
            updates++;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        // Assert
        text.ToString().ShouldBe(expected);
        updates.ShouldBeGreaterThan(2);
        finish.ShouldNotBeNull();
        usage.ShouldNotBeNull("the client asks for include_usage and reads the last chunk's usage");
        usage.OutputTokenCount.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_refused_request_reaches_the_official_client_as_a_400_with_the_servers_message()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(_model);
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() };

        // Act
        var error = await Should.ThrowAsync<ClientResultException>(() => Client(server).CompleteChatAsync(Messages, options));

        // Assert
        error.Status.ShouldBe(400);
        error.Message.ShouldContain("only {\"type\": \"text\"} is supported");
    }
}
