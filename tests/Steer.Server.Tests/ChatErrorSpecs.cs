using System.Net;
using Steer.Architectures;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>What /v1/chat/completions refuses, each with OpenAI's error shape, the field and the reason; and template keyword arguments.</summary>
public sealed class ChatErrorSpecs(ChatServerFixture fixture) : IClassFixture<ChatServerFixture>
{
    private static readonly object[] Hello = [new { role = "user", content = "Hello" }];

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { """{"messages": []}""", "messages", "'messages' is required" },
        { """{"prompt": "Hello"}""", "messages", "'messages' is required" },
        { """{"messages": [{"content": "Hello"}]}""", "messages[0].role", "a message needs a string 'role'" },
        { """{"messages": [{"role": "wizard", "content": "Hello"}]}""", "messages[0].role", "unknown role 'wizard'" },
        { """{"messages": [{"role": "user", "content": 42}]}""", "messages[0].content", "content must be a string or a list of text parts" },
        { """{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""", "messages[0].content[0]", "content parts of type 'image_url' are not supported" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "response_format": {"type": "json_object"}}""", "response_format", "only {\"type\": \"text\"} is supported" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "tools": [{"type": "function", "function": {"name": "f"}}]}""", "tools", "tools are not supported" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "top_logprobs": 2}""", "top_logprobs", "top_logprobs needs logprobs: true" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "logprobs": true, "top_logprobs": 21}""", "top_logprobs", "top_logprobs must be between 0 and 20" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "max_tokens": 5, "max_completion_tokens": 6}""", "max_completion_tokens", "disagree" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "max_completion_tokens": 0}""", "max_completion_tokens", "must be between 1 and" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "temperature": 3}""", "temperature", "temperature must be between 0 and 2" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "chat_template_kwargs": [1]}""", "chat_template_kwargs", "must be a JSON object" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "steering": {"vector": "vec_missing"}}""", "steering.vector", "no steering vector with id" },
        { """{"messages": [{"role": "user", "content": "Hello"}], "steering": {"additions": [{"plus": "Love", "layer": 1, "coeff": 2}], "positions": "everywhere"}}""", "steering.positions", "use front, prompt, generated, all or assistant" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_a_400_naming_the_field(string body, string param, string message)
    {
        // Act
        var response = await fixture.Client.PostAsync("/v1/chat/completions", body);

        // Assert
        response.ShouldBeError(HttpStatusCode.BadRequest, messageParts: message).GetProperty("param").GetString().ShouldBe(param);
    }

    [Fact]
    public async Task A_conversation_longer_than_the_context_is_refused_before_it_is_queued()
    {
        // Arrange: the formula tokenizer has one token per byte, and qwen2-tiny's context is far shorter than this.
        var text = new string('a', 4000);

        // Act
        var response = await fixture.Client.PostAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = text } } });

        // Assert
        response.ShouldBeError(HttpStatusCode.BadRequest).GetProperty("code").GetString().ShouldBe("context_length_exceeded");
    }

    [Fact]
    public async Task Unsupported_features_are_refused_with_the_unsupported_parameter_code()
    {
        // Act
        var response = await fixture.Client.PostAsync("/v1/chat/completions", new { messages = Hello, response_format = new { type = "json_schema" } });

        // Assert
        response.ShouldBeError(HttpStatusCode.BadRequest).GetProperty("code").GetString().ShouldBe("unsupported_parameter");
    }

    [Fact]
    public async Task Positions_assistant_on_a_legacy_completion_is_refused_with_the_reason()
    {
        // Act
        var response = await fixture.Client.PostAsync("/v1/completions", new
        {
            prompt = "Hello",
            max_tokens = 2,
            steering = new { additions = new[] { new { plus_ids = new[] { 300 }, layer = 1, coeff = 2 } }, positions = "assistant" },
        });

        // Assert
        response.ShouldBeError(HttpStatusCode.BadRequest, messageParts: "positions 'assistant' steers the assistant's reply in a chat");
    }
}

/// <summary>A template that raises, one that reads keyword arguments, and a model without a template.</summary>
public sealed class ChatTemplateSpecs : IDisposable
{
    private const string Template =
        "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
        "<|reserved_259|>{{ m.role }}\n{{ m.content }}</s>\n{% endfor %}" +
        "{% if add_generation_prompt %}<|reserved_259|>assistant\n{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n{% endif %}{% endif %}";

    private readonly TestModel _model = new(ModelShapes.Get("qwen2-tiny"));
    private readonly TestModel _gpt2 = new();

    public ChatTemplateSpecs() => File.WriteAllText(Path.Combine(_model.Path, "chat_template.jinja"), Template);

    public void Dispose()
    {
        _model.Dispose();
        _gpt2.Dispose();
    }

    [Fact]
    public async Task Chat_template_kwargs_reach_the_template()
    {
        // Arrange
        using var factory = new SteerServerFactory(_model);
        using var client = factory.CreateClient();
        var messages = new[] { new { role = "user", content = "Hello" } };

        // Act
        var plain = await client.PostAsync("/v1/chat/completions", new { messages, max_tokens = 1 });
        var noThinking = await client.PostAsync("/v1/chat/completions", new { messages, max_tokens = 1, chat_template_kwargs = new { enable_thinking = false } });

        // Assert: "<think>\n\n</think>\n\n" is 19 more bytes, one token each.
        var before = plain.Json().GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        noThinking.Json().GetProperty("usage").GetProperty("prompt_tokens").GetInt32().ShouldBe(before + 19);
    }

    [Fact]
    public async Task An_error_the_template_raises_is_a_400_with_the_templates_words()
    {
        // Arrange
        using var factory = new SteerServerFactory(_model);
        using var client = factory.CreateClient();

        // Act
        var response = await client.PostAsync("/v1/chat/completions", new { messages = new[] { new { role = "system", content = "Be brief." } } });

        // Assert
        response.ShouldBeError(HttpStatusCode.BadRequest, messageParts: "System role not supported").GetProperty("param").GetString().ShouldBe("messages");
    }

    [Fact]
    public async Task A_model_without_a_chat_template_says_so_and_still_serves_completions()
    {
        // Arrange
        using var factory = new SteerServerFactory(_gpt2);
        using var client = factory.CreateClient();

        // Act
        var chat = await client.PostAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "Hello" } } });
        var completion = await client.PostAsync("/v1/completions", new { prompt = "Hello", max_tokens = 2 });

        // Assert
        chat.ShouldBeError(HttpStatusCode.BadRequest, messageParts: "has no chat template").GetProperty("code").GetString().ShouldBe("chat_template_missing");
        completion.Status.ShouldBe(HttpStatusCode.OK);
    }
}
