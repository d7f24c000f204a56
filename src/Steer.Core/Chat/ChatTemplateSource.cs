using System.Text.Json;
using Steer.IO;

namespace Steer.Chat;

/// <summary>
/// Where a model keeps its chat template, as transformers reads it: <c>chat_template.jinja</c> beside the model, else
/// <c>tokenizer_config.json</c>'s <c>chat_template</c>, which is a string or a list of named templates (the one named
/// "default" is used unless another is asked for). Also the special tokens a template sees (bos_token, eos_token, ...).
/// </summary>
/// <param name="Template">The Jinja source, exactly as stored.</param>
/// <param name="SpecialTokens">bos_token, eos_token, unk_token, pad_token: those the tokenizer config names.</param>
/// <param name="Source">The file it came from, for messages.</param>
public sealed record ChatTemplateSource(string Template, IReadOnlyDictionary<string, string> SpecialTokens, string Source)
{
    public const string JinjaFile = "chat_template.jinja";
    public const string TokenizerConfigFile = "tokenizer_config.json";

    private static readonly string[] SpecialTokenKeys = ["bos_token", "eos_token", "unk_token", "pad_token"];

    /// <summary>The template of the model in <paramref name="directory"/>, or null when it has none (GPT-2, base models).</summary>
    /// <param name="name">A named template (e.g. "tool_use") when tokenizer_config.json lists several; null is "default".</param>
    public static ChatTemplateSource? FromDirectory(string directory, string? name = null)
    {
        var configPath = Path.Combine(directory, TokenizerConfigFile);
        var jinjaPath = Path.Combine(directory, JinjaFile);
        var config = File.Exists(configPath) ? FromTokenizerConfig(configPath, name) : null;
        if (File.Exists(jinjaPath) && name is null)
            return new ChatTemplateSource(File.ReadAllText(jinjaPath), config?.SpecialTokens ?? new Dictionary<string, string>(), jinjaPath);
        return config;
    }

    /// <summary>The template and special tokens of one tokenizer_config.json; null when it has no chat_template.</summary>
    public static ChatTemplateSource? FromTokenizerConfig(string path, string? name = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new SteerException(ErrorKind.InvalidModel, $"{path}: expected a JSON object");
            if (UntrustedJson.UnreadableString(root) is { } problem) throw new SteerException(ErrorKind.InvalidModel, $"{path}: not valid JSON ({problem})");
            var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in SpecialTokenKeys)
                if (root.TryGetProperty(key, out var token) && TokenText(token) is { } text) tokens[key] = text;
            if (!root.TryGetProperty("chat_template", out var template) || template.ValueKind == JsonValueKind.Null)
                return name is null ? null : throw new SteerException(ErrorKind.InvalidModel, $"{path} has no chat templates, so none is named '{name}'");
            return new ChatTemplateSource(Select(template, name, path), tokens, path);
        }
    }

    private static string Select(JsonElement template, string? name, string path)
    {
        if (template.ValueKind == JsonValueKind.String)
            return name is null or "default" ? template.GetString()! : throw new SteerException(ErrorKind.InvalidModel, $"{path} has one chat template, not one named '{name}'");
        if (template.ValueKind != JsonValueKind.Array)
            throw new SteerException(ErrorKind.InvalidModel, $"{path}: chat_template must be a string or a list of {{\"name\", \"template\"}}");
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in template.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("template", out var t) || t.ValueKind != JsonValueKind.String)
                throw new SteerException(ErrorKind.InvalidModel, $"{path}: each chat_template entry needs a string \"name\" and \"template\"");
            named[n.GetString()!] = t.GetString()!;
        }
        var wanted = name ?? "default";
        return named.TryGetValue(wanted, out var source) ? source
            : throw new SteerException(ErrorKind.InvalidModel, $"{path} has no chat template named '{wanted}'; it has: {string.Join(", ", named.Keys)}");
    }

    /// <summary>A special token written as a string or as {"content": ...}.</summary>
    private static string? TokenText(JsonElement token) => token.ValueKind switch
    {
        JsonValueKind.String => token.GetString(),
        JsonValueKind.Object when token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
        _ => null,
    };
}
