using System.Text.Json;
using Steer.Generation;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Server.Steering;

namespace Steer.Server.Completions;

/// <summary>
/// A checked completion request in Steer's terms. The mapping is the CLI's (<c>steer generate</c>): a text prompt
/// gets &lt;|endoftext|&gt; prepended and token-id prompts are used literally; temperature defaults to 1, top_p to off,
/// penalties to 0; completion i of every prompt is drawn from the generator of (seed, i).
/// </summary>
/// <param name="Options">Count is <c>n</c>; Seed is always set (drawn here when the request has none), so every prompt shares it.</param>
internal sealed record CompletionPlan(IReadOnlyList<IReadOnlyList<int>> Prompts, GenerationOptions Options, IReadOnlyList<string> Stop,
    int? Logprobs, bool Stream, bool IncludeUsage, SteeringSpec? Steering)
{
    /// <summary>For a chat, where the assistant's turn begins in each prompt (what steering positions "assistant" reaches); null otherwise.</summary>
    public IReadOnlyList<int>? ReplyStarts { get; init; }

    /// <summary>OpenAI's default for the legacy completions endpoint.</summary>
    public const int DefaultMaxTokens = 16;

    /// <summary>Longest stop string: matching is per token, and a long one would only cost time.</summary>
    public const int MaxStopChars = 256;

    public int Rows => Prompts.Count * Options.Count;

    /// <summary>
    /// The longest text tokenised for a request (a prompt, a steering prompt): 16 characters per context position.
    /// Text that fits the context averages about 4 characters a token, and BPE on one very long word takes time
    /// quadratic in its length (100,000 letters "a": half a minute), so longer text is refused before tokenising.
    /// </summary>
    public static int MaxTextChars(ModelDescription model) => 16 * model.Shape.ContextLength;

    /// <summary>Tokenises text with BOS, as <c>steer generate --prompt</c>, after checking its length.</summary>
    public static IReadOnlyList<int> Encode(ModelDescription model, string text, string param) => model.Tokenizer.Encode(CheckLength(model, text, param));

    public static string CheckLength(ModelDescription model, string text, string param) =>
        text.Length <= MaxTextChars(model) ? text
            : throw ApiException.BadRequest(
                $"the text is {text.Length} characters long; this server takes at most {MaxTextChars(model)} (16 per position of the model's context)",
                param, "context_length_exceeded");

    public static CompletionPlan From(CompletionRequest request, ModelDescription model, string modelId, ServerOptions limits, VectorRegistry vectors)
    {
        if (request.Model is { } name && name != modelId)
            throw ApiException.NotFound($"the model '{name}' does not exist; this server serves '{modelId}'", "model", "model_not_found");
        if (request.Echo == true) throw Unsupported("echo");
        if (request.BestOf is { } bestOf && bestOf != 1) throw Unsupported("best_of");
        if (!string.IsNullOrEmpty(request.Suffix)) throw Unsupported("suffix");
        if (request.LogitBias is { ValueKind: JsonValueKind.Object } bias && bias.EnumerateObject().Any()) throw Unsupported("logit_bias");

        var prompts = ParsePrompts(request.Prompt, model);
        var n = request.N ?? 1;
        if (n < 1 || n > limits.MaxN) throw ApiException.BadRequest($"n must be between 1 and {limits.MaxN}, got {n}", "n");
        if (prompts.Count * n > limits.MaxBatchRows)
            throw ApiException.BadRequest($"{prompts.Count} prompts × n={n} is {prompts.Count * n} completions; this server allows {limits.MaxBatchRows} per request", "n");
        var maxTokens = request.MaxTokens ?? DefaultMaxTokens;
        if (maxTokens < 0 || maxTokens > limits.MaxTokens)
            throw ApiException.BadRequest($"max_tokens must be between 0 and {limits.MaxTokens}, got {maxTokens}", "max_tokens");
        var longest = prompts.Max(p => p.Count);
        if (longest + maxTokens > model.Shape.ContextLength)
            throw ApiException.BadRequest(
                $"the prompt has {longest} tokens; with max_tokens {maxTokens} that exceeds the model's context of {model.Shape.ContextLength} tokens",
                longest > model.Shape.ContextLength ? "prompt" : "max_tokens", "context_length_exceeded");
        var logprobs = request.Logprobs;
        if (logprobs is < 0 or > 5) throw ApiException.BadRequest($"logprobs must be between 0 and 5, got {logprobs}", "logprobs");

        var options = new GenerationOptions
        {
            Count = n,
            MaxNewTokens = maxTokens,
            Seed = request.Seed,
            Sampling = Sampling(request.Temperature, request.TopP, request.TopK, request.FrequencyPenalty, request.PresencePenalty),
        }.WithSeed();
        var steering = SteeringSpec.Parse(request.Steering, model, vectors);
        return new CompletionPlan(prompts, options, StopStrings(request.Stop), logprobs, request.Stream == true,
            request.StreamOptions?.IncludeUsage == true, steering);
    }

    /// <summary>OpenAI's sampling fields, checked, with OpenAI's defaults (temperature 1, no top-p, no penalties).</summary>
    public static SamplingOptions Sampling(double? temperature, double? topP, int? topK, double? frequencyPenalty, double? presencePenalty)
    {
        var checkedTemperature = Range(temperature ?? 1.0, 0, 2, "temperature");
        if (topP is { } p && (!double.IsFinite(p) || p <= 0 || p > 1)) throw ApiException.BadRequest($"top_p must be in (0, 1], got {p}", "top_p");
        if (topK is < 1) throw ApiException.BadRequest($"top_k must be at least 1, got {topK}", "top_k");
        return new SamplingOptions
        {
            Temperature = checkedTemperature,
            TopP = topP == 1.0 ? null : topP,   // 1 keeps every token, the same as no top-p, and batches with it
            TopK = topK,
            FrequencyPenalty = Range(frequencyPenalty ?? 0, -2, 2, "frequency_penalty"),
            PresencePenalty = Range(presencePenalty ?? 0, -2, 2, "presence_penalty"),
        };
    }

    private static double Range(double value, double min, double max, string param) =>
        double.IsFinite(value) && value >= min && value <= max ? value
            : throw ApiException.BadRequest($"{param} must be between {min} and {max}, got {value}", param);

    /// <summary>A string, a list of strings, a list of ids, or a list of id lists.</summary>
    private static IReadOnlyList<IReadOnlyList<int>> ParsePrompts(JsonElement? prompt, ModelDescription model)
    {
        if (prompt is not { } value || value.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest("'prompt' is required: a string, a list of strings or a list of token ids", "prompt");
        if (value.ValueKind == JsonValueKind.String) return [Encode(model, value.GetString()!, "prompt")];
        if (value.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("prompt must be a string, a list of strings or a list of token ids", "prompt");
        var items = value.EnumerateArray().ToList();
        if (items.Count == 0) throw ApiException.BadRequest("prompt is an empty list", "prompt");
        if (items.All(i => i.ValueKind == JsonValueKind.Number)) return [Ids(value, model, "prompt")];
        var prompts = items.Select((item, i) => item.ValueKind switch
        {
            JsonValueKind.String => Encode(model, item.GetString()!, $"prompt[{i}]"),
            JsonValueKind.Array => Ids(item, model, $"prompt[{i}]"),
            _ => throw ApiException.BadRequest("each prompt must be a string or a list of token ids", $"prompt[{i}]"),
        }).ToList();
        return prompts;
    }

    private static IReadOnlyList<int> Ids(JsonElement array, ModelDescription model, string param)
    {
        var ids = array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var id) && id >= 0 && id < model.Shape.VocabSize
            ? id
            : throw ApiException.BadRequest($"token ids must be integers in [0, {model.Shape.VocabSize})", param)).ToArray();
        return ids.Length > 0 ? ids : throw ApiException.BadRequest("a token-id prompt is empty", param);
    }

    public static IReadOnlyList<string> StopStrings(JsonElement? stop)
    {
        var strings = stop switch
        {
            null or { ValueKind: JsonValueKind.Null } => [],
            { ValueKind: JsonValueKind.String } s => [s.GetString()!],
            { ValueKind: JsonValueKind.Array } a when a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                a.EnumerateArray().Select(e => e.GetString()!).ToList(),
            _ => throw ApiException.BadRequest("stop must be a string or a list of strings", "stop"),
        };
        if (strings.Count > 4) throw ApiException.BadRequest($"stop takes at most 4 strings, got {strings.Count}", "stop");
        if (strings.Any(s => s.Length == 0)) throw ApiException.BadRequest("a stop string is empty", "stop");
        if (strings.Any(s => s.Length > MaxStopChars)) throw ApiException.BadRequest($"a stop string is longer than {MaxStopChars} characters", "stop");
        return strings;
    }

    public static ApiException Unsupported(string param) => ApiException.BadRequest($"'{param}' is not supported by this server", param, "unsupported_parameter");
}
