namespace Steer.Server.Contracts;

/// <summary>A chat completion (<c>object</c> "chat.completion").</summary>
public sealed record ChatCompletionResponse(string Id, string Object, long Created, string Model, string? SystemFingerprint,
    IReadOnlyList<ChatChoice> Choices, Usage Usage);

/// <param name="FinishReason">"stop" (the model ended its turn, or a stop string) or "length".</param>
public sealed record ChatChoice(int Index, ChatMessageBody Message, ChatLogprobs? Logprobs, string FinishReason);

public sealed record ChatMessageBody(string Role, string Content, string? Refusal);

/// <summary>One chunk of a streamed chat completion (<c>object</c> "chat.completion.chunk").</summary>
/// <param name="Usage">Null in every chunk but the last one, which has no choices, when <c>stream_options.include_usage</c> is set.</param>
public sealed record ChatCompletionChunk(string Id, string Object, long Created, string Model, string? SystemFingerprint,
    IReadOnlyList<ChatChunkChoice> Choices, Usage? Usage);

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);

/// <summary>The first chunk of a choice carries the role; the others carry content; the last is empty.</summary>
public sealed record ChatDelta
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Content { get; init; }
}

/// <summary>OpenAI's chat logprobs: per token its text, log-probability, UTF-8 bytes and the most likely alternatives.</summary>
public sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content, IReadOnlyList<ChatTokenLogprob>? Refusal);

public sealed record ChatTokenLogprob(string Token, double Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);

public sealed record ChatTopLogprob(string Token, double Logprob, IReadOnlyList<int> Bytes);
