namespace Steer.Server.Contracts;

/// <summary>A completion, or one chunk of a streamed completion (then <c>usage</c> is null except in the last chunk).</summary>
public sealed record CompletionResponse(string Id, string Object, long Created, string Model,
    IReadOnlyList<CompletionChoice> Choices, Usage? Usage);

/// <param name="FinishReason">"stop" (a stop string or &lt;|endoftext|&gt;), "length", or null in a chunk that does not end the choice.</param>
public sealed record CompletionChoice(int Index, string Text, CompletionLogprobs? Logprobs, string? FinishReason);

/// <summary>OpenAI's legacy logprobs: per token its text, log-probability, the most likely alternatives, and where its text starts.</summary>
/// <param name="TextOffset">Offsets into the completion text, in Unicode code points.</param>
public sealed record CompletionLogprobs(IReadOnlyList<string> Tokens, IReadOnlyList<double> TokenLogprobs,
    IReadOnlyList<IReadOnlyDictionary<string, double>> TopLogprobs, IReadOnlyList<int> TextOffset);

public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);
