using System.Text.Json;
using Steer.IO;
using Steer.Templates;
using Steer.Tokenization;

namespace Steer.Chat;

/// <summary>
/// Renders a conversation through a model's chat template as transformers' <c>apply_chat_template</c> does: the
/// variables <c>messages</c>, <c>tools</c> (or None), <c>documents</c> (None), <c>add_generation_prompt</c>, the
/// tokenizer's special tokens, and every extra keyword argument (e.g. <c>enable_thinking</c>).
/// </summary>
public static class ChatPrompt
{
    /// <param name="messagesJson">A JSON list of messages, e.g. <c>[{"role": "user", "content": "Hi"}]</c>; key order is kept.</param>
    /// <param name="toolsJson">A JSON list of tool definitions, or null.</param>
    /// <param name="kwargsJson">A JSON object whose entries become template variables, or null.</param>
    /// <param name="now">What <c>strftime_now</c> sees; null is the current time.</param>
    /// <exception cref="SteerException">
    /// InvalidArgument for malformed JSON, a template error (the template's own <c>raise_exception</c> message, as is),
    /// or a sandbox limit; InvalidModel for a template Steer cannot parse.
    /// </exception>
    public static string Render(ChatTemplateSource source, string messagesJson, string? toolsJson = null, bool addGenerationPrompt = false,
        string? kwargsJson = null, DateTime? now = null)
    {
        using var messages = Parse(messagesJson, "messages", JsonValueKind.Array);
        using var tools = toolsJson is null ? null : Parse(toolsJson, "tools", JsonValueKind.Array);
        using var kwargs = kwargsJson is null ? null : Parse(kwargsJson, "kwargs", JsonValueKind.Object);
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.RootElement,
            ["tools"] = tools?.RootElement,
            ["documents"] = null,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        foreach (var (key, value) in source.SpecialTokens) variables[key] = value;
        if (kwargs is not null)
            foreach (var property in kwargs.RootElement.EnumerateObject()) variables[property.Name] = property.Value;
        ChatTemplate template;
        try
        {
            template = ChatTemplate.Parse(source.Template);
        }
        catch (SteerException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{source.Source}: {e.Message}");
        }
        try
        {
            return template.Render(variables, now: now);
        }
        catch (TemplateRaisedException e)
        {
            // The template's own words (e.g. "Conversation roles must alternate ..."), exactly as transformers raises them.
            throw new SteerException(ErrorKind.InvalidArgument, e.Message);
        }
    }

    /// <summary>
    /// A conversation rendered with the assistant cue and tokenized as transformers' <c>apply_chat_template(tokenize=True)</c>
    /// does: without adding special tokens, so the BOS is the one the template writes (none for Qwen, one for Llama 3),
    /// never a second. The reply starts where the same conversation rendered without the cue stops matching, token
    /// for token: at the assistant header (<c>&lt;|im_start|&gt;assistant\n</c>), or at the end when the template writes none.
    /// </summary>
    /// <inheritdoc cref="Render" path="/param"/>
    public static ChatPromptIds Encode(ChatTemplateSource source, ITokenizer tokenizer, string messagesJson, string? toolsJson = null,
        string? kwargsJson = null, DateTime? now = null)
    {
        var ids = tokenizer.Encode(Render(source, messagesJson, toolsJson, addGenerationPrompt: true, kwargsJson, now), prependBos: false);
        var history = tokenizer.Encode(Render(source, messagesJson, toolsJson, addGenerationPrompt: false, kwargsJson, now), prependBos: false);
        var common = 0;
        while (common < ids.Count && common < history.Count && ids[common] == history[common]) common++;
        return new ChatPromptIds(ids, common);
    }

    /// <summary><see cref="Encode(ChatTemplateSource, ITokenizer, string, string?, string?, DateTime?)"/> of plain messages.</summary>
    public static ChatPromptIds Encode(ChatTemplateSource source, ITokenizer tokenizer, IEnumerable<ChatMessage> messages, string? kwargsJson = null,
        DateTime? now = null) =>
        Encode(source, tokenizer, JsonSerializer.Serialize(messages.Select(m => new Dictionary<string, string> { ["role"] = m.Role, ["content"] = m.Content })),
            kwargsJson: kwargsJson, now: now);

    /// <summary>One user turn, after an optional system message, encoded for the assistant's reply.</summary>
    public static ChatPromptIds EncodeUserTurn(ChatTemplateSource source, ITokenizer tokenizer, string user, string? system = null, DateTime? now = null) =>
        Encode(source, tokenizer, system is null ? [new ChatMessage("user", user)] : [new ChatMessage("system", system), new ChatMessage("user", user)], now: now);

    private static JsonDocument Parse(string json, string what, JsonValueKind kind)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidArgument, $"{what}: not valid JSON ({e.Message})");
        }
        var problem = doc.RootElement.ValueKind != kind ? $"{what} must be a JSON {(kind == JsonValueKind.Array ? "list" : "object")}"
            : UntrustedJson.UnreadableString(doc.RootElement) is { } unreadable ? $"{what}: not valid JSON ({unreadable})"
            : null;
        if (problem is null) return doc;
        doc.Dispose();
        throw new SteerException(ErrorKind.InvalidArgument, problem);
    }
}
