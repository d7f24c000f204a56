using System.Text.Json;

namespace Steer.Server.Contracts;

/// <summary>
/// The body of <c>POST /v1/chat/completions</c>: OpenAI's chat completion fields, plus <c>top_k</c>, a per-request
/// <c>steering</c> object and <c>chat_template_kwargs</c> (extra variables for the template, e.g. <c>enable_thinking</c>).
/// Polymorphic fields (messages, stop, response_format) stay JSON until validated.
/// </summary>
public sealed record ChatCompletionRequest
{
    public string? Model { get; init; }

    /// <summary>A list of <c>{"role", "content"}</c>; content is a string or a list of text parts <c>{"type": "text", "text"}</c>.</summary>
    public JsonElement? Messages { get; init; }

    /// <summary>Deprecated by OpenAI in favour of <see cref="MaxCompletionTokens"/>; either is taken.</summary>
    public int? MaxTokens { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public double? FrequencyPenalty { get; init; }
    public double? PresencePenalty { get; init; }
    public int? N { get; init; }
    public long? Seed { get; init; }

    /// <summary>A string or a list of up to 4 strings.</summary>
    public JsonElement? Stop { get; init; }

    public bool? Logprobs { get; init; }

    /// <summary>0 to 20 most likely alternatives per token; needs <see cref="Logprobs"/>.</summary>
    public int? TopLogprobs { get; init; }

    public bool? Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }

    /// <summary><c>{"type": "text"}</c> only: Steer does not constrain decoding to JSON.</summary>
    public JsonElement? ResponseFormat { get; init; }

    /// <summary>Variables the chat template sees besides messages (transformers' <c>apply_chat_template</c> keyword arguments).</summary>
    public JsonElement? ChatTemplateKwargs { get; init; }

    // Accepted when empty or default so that clients which send them work; anything else is refused as unsupported.
    public JsonElement? Tools { get; init; }
    public JsonElement? ToolChoice { get; init; }
    public JsonElement? LogitBias { get; init; }
    public JsonElement? Modalities { get; init; }
    public JsonElement? Audio { get; init; }
    public JsonElement? Prediction { get; init; }

    public SteeringRequest? Steering { get; init; }
}
