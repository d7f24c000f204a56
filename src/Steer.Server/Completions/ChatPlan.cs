using System.Text.Json;
using System.Text.Json.Nodes;
using Steer.Chat;
using Steer.Generation;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Server.Steering;

namespace Steer.Server.Completions;

/// <summary>
/// A checked chat completion request as a <see cref="CompletionPlan"/>: the messages rendered through the model's own
/// chat template with the assistant cue and tokenized without added special tokens (as <c>steer chat</c> does), the
/// reply start known for steering positions "assistant"; OpenAI's defaults otherwise (temperature 1, the rest of the
/// context as the token budget, up to the server's max_tokens).
/// </summary>
internal static class ChatPlan
{
    /// <summary>OpenAI's largest top_logprobs.</summary>
    public const int MaxTopLogprobs = 20;

    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static CompletionPlan From(ChatCompletionRequest request, ServerState state)
    {
        var (model, limits) = (state.Model, state.Options);
        if (request.Model is { } name && name != state.ModelId)
            throw ApiException.NotFound($"the model '{name}' does not exist; this server serves '{state.ModelId}'", "model", "model_not_found");
        var template = state.ChatTemplate ?? throw ApiException.BadRequest(
            $"{state.ModelId} has no chat template (no chat_template in tokenizer_config.json and no chat_template.jinja); use /v1/completions",
            "messages", "chat_template_missing");
        RefuseUnsupported(request);

        var messages = Messages(request.Messages, model);
        var kwargs = request.ChatTemplateKwargs switch
        {
            null or { ValueKind: JsonValueKind.Null } => null,
            { ValueKind: JsonValueKind.Object } o => o.GetRawText(),
            _ => throw ApiException.BadRequest("chat_template_kwargs must be a JSON object", "chat_template_kwargs"),
        };
        ChatPromptIds prompt;
        try
        {
            prompt = ChatPrompt.Encode(template, model.Tokenizer, messages, kwargsJson: kwargs);
        }
        catch (SteerException e)
        {
            // The template's own words, e.g. "Conversation roles must alternate user/assistant/user/assistant/..."
            throw ApiException.From(e, "messages");
        }

        var n = request.N ?? 1;
        if (n < 1 || n > limits.MaxN) throw ApiException.BadRequest($"n must be between 1 and {limits.MaxN}, got {n}", "n");
        if (request.MaxTokens is { } a && request.MaxCompletionTokens is { } b && a != b)
            throw ApiException.BadRequest($"max_tokens ({a}) and max_completion_tokens ({b}) disagree; give one", "max_completion_tokens");
        var param = request.MaxCompletionTokens is null && request.MaxTokens is not null ? "max_tokens" : "max_completion_tokens";
        var room = model.Shape.ContextLength - prompt.Ids.Count;
        if (room < 1)
            throw ApiException.BadRequest(
                $"the conversation has {prompt.Ids.Count} tokens with the template applied; the model's context is {model.Shape.ContextLength} tokens",
                "messages", "context_length_exceeded");
        var maxTokens = request.MaxCompletionTokens ?? request.MaxTokens ?? Math.Min(limits.MaxTokens, room);
        if (maxTokens < 1 || maxTokens > limits.MaxTokens)
            throw ApiException.BadRequest($"{param} must be between 1 and {limits.MaxTokens}, got {maxTokens}", param);
        if (maxTokens > room)
            throw ApiException.BadRequest(
                $"the conversation has {prompt.Ids.Count} tokens; with {param} {maxTokens} that exceeds the model's context of {model.Shape.ContextLength} tokens",
                param, "context_length_exceeded");

        if (request.TopLogprobs is { } top && (top < 0 || top > MaxTopLogprobs))
            throw ApiException.BadRequest($"top_logprobs must be between 0 and {MaxTopLogprobs}, got {top}", "top_logprobs");
        if (request.TopLogprobs is not null && request.Logprobs != true)
            throw ApiException.BadRequest("top_logprobs needs logprobs: true", "top_logprobs");

        var options = new GenerationOptions
        {
            Count = n,
            MaxNewTokens = maxTokens,
            Seed = request.Seed,
            Sampling = CompletionPlan.Sampling(request.Temperature, request.TopP, request.TopK, request.FrequencyPenalty, request.PresencePenalty),
        }.WithSeed();
        return new CompletionPlan([prompt.Ids], options, CompletionPlan.StopStrings(request.Stop), request.Logprobs == true ? request.TopLogprobs ?? 0 : null,
            request.Stream == true, request.StreamOptions?.IncludeUsage == true, SteeringSpec.Parse(request.Steering, model, state.Vectors))
        {
            ReplyStarts = [prompt.ReplyStart],
        };
    }

    /// <summary>
    /// The messages as the template sees them: each message's fields as sent, with text parts joined into one string
    /// content and OpenAI's "developer" role given as "system" (templates know only the latter).
    /// </summary>
    private static string Messages(JsonElement? messages, ModelDescription model)
    {
        if (messages is not { ValueKind: JsonValueKind.Array } list || list.GetArrayLength() == 0)
            throw ApiException.BadRequest("'messages' is required: a non-empty list of {\"role\", \"content\"}", "messages");
        var result = new JsonArray();
        var characters = 0;
        var i = 0;
        foreach (var message in list.EnumerateArray())
        {
            var param = $"messages[{i++}]";
            if (message.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("each message must be an object with a role and content", param);
            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()!
                : throw ApiException.BadRequest("a message needs a string 'role'", $"{param}.role");
            if (!Roles.Contains(role))
                throw ApiException.BadRequest($"unknown role '{role}'; use system, developer, user, assistant or tool", $"{param}.role");
            var content = Content(message, param);
            characters += content.Length;
            var node = JsonNode.Parse(message.GetRawText())!.AsObject();
            node["role"] = role == "developer" ? "system" : role;
            node["content"] = content;
            result.Add(node);
        }
        if (characters > CompletionPlan.MaxTextChars(model))
            throw ApiException.BadRequest(
                $"the messages are {characters} characters long; this server takes at most {CompletionPlan.MaxTextChars(model)} (16 per position of the model's context)",
                "messages", "context_length_exceeded");
        return result.ToJsonString();
    }

    private static string Content(JsonElement message, string param)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("content must be a string or a list of text parts", $"{param}.content");
        var text = new System.Text.StringBuilder();
        var j = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partParam = $"{param}.content[{j++}]";
            var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type != "text")
                throw ApiException.BadRequest(type is null ? "a content part needs a 'type'" : $"content parts of type '{type}' are not supported; this model reads text only",
                    partParam, type is null ? null : "unsupported_content");
            text.Append(part.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()
                : throw ApiException.BadRequest("a text part needs a string 'text'", $"{partParam}.text"));
        }
        return text.ToString();
    }

    private static void RefuseUnsupported(ChatCompletionRequest request)
    {
        if (request.ResponseFormat is { ValueKind: JsonValueKind.Object } format
            && !(format.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "text"))
            throw ApiException.BadRequest("response_format: only {\"type\": \"text\"} is supported; Steer does not constrain decoding to JSON",
                "response_format", "unsupported_parameter");
        if (request.Tools is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
            throw ApiException.BadRequest("tools are not supported: Steer does not parse tool calls out of replies", "tools", "unsupported_parameter");
        if (request.ToolChoice is { ValueKind: not JsonValueKind.Null } choice && !(choice.ValueKind == JsonValueKind.String && choice.GetString() == "none"))
            throw CompletionPlan.Unsupported("tool_choice");
        if (request.LogitBias is { ValueKind: JsonValueKind.Object } bias && bias.EnumerateObject().Any()) throw CompletionPlan.Unsupported("logit_bias");
        if (request.Audio is { ValueKind: not JsonValueKind.Null }) throw CompletionPlan.Unsupported("audio");
        if (request.Prediction is { ValueKind: not JsonValueKind.Null }) throw CompletionPlan.Unsupported("prediction");
        if (request.Modalities is { ValueKind: JsonValueKind.Array } modalities && modalities.EnumerateArray().Any(m => m.GetString() != "text"))
            throw CompletionPlan.Unsupported("modalities");
    }
}
