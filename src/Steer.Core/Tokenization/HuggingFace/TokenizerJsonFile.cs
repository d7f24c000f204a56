using System.Text.Json;
using Steer.IO;

namespace Steer.Tokenization.HuggingFace;

/// <summary>
/// Reads members of one JSON file of a Hugging Face tokenizer, and makes the errors that name that file and the
/// member at fault, so that a user can tell which file to fix and why it was refused.
/// </summary>
internal sealed class TokenizerJsonFile(string path)
{
    public string Path { get; } = path;

    /// <summary>An <see cref="ErrorKind.InvalidModel"/> error for a malformed or unsupported part of this file.</summary>
    public SteerException Error(string what) =>
        new(ErrorKind.InvalidModel, $"Tokenizer file {Path} cannot be used: {what}.");

    public JsonDocument Parse()
    {
        try
        {
            using var stream = File.OpenRead(Path); // the Stream overload skips a UTF-8 BOM
            var document = JsonDocument.Parse(stream);
            if (UntrustedJson.UnreadableString(document.RootElement) is not { } problem) return document;
            document.Dispose();
            throw new SteerException(ErrorKind.InvalidModel, $"Tokenizer file {Path} is not valid JSON: {problem}");
        }
        catch (JsonException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"Tokenizer file {Path} is not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new SteerException(ErrorKind.InvalidModel, $"Tokenizer file {Path} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The member <paramref name="name"/>, or null when it is missing or JSON null.</summary>
    public static JsonElement? Optional(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public JsonElement Required(JsonElement parent, string name, JsonValueKind kind, string where)
    {
        if (Optional(parent, name) is not { } value || value.ValueKind != kind)
            throw Error($"{where}.{name} is missing or is not a JSON {kind.ToString().ToLowerInvariant()}");
        return value;
    }

    public string RequiredString(JsonElement parent, string name, string where) =>
        Required(parent, name, JsonValueKind.String, where).GetString()!;

    public string? OptionalString(JsonElement parent, string name, string where)
    {
        if (Optional(parent, name) is not { } value)
            return null;
        if (value.ValueKind != JsonValueKind.String)
            throw Error($"{where}.{name} is not a string");
        return value.GetString();
    }

    public bool Bool(JsonElement parent, string name, bool defaultValue, string where)
    {
        if (Optional(parent, name) is not { } value)
            return defaultValue;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"{where}.{name} is not true or false"),
        };
    }

    public int Int(JsonElement parent, string name, string where)
    {
        var value = Required(parent, name, JsonValueKind.Number, where);
        if (!value.TryGetInt32(out int result))
            throw Error($"{where}.{name} is {value.GetRawText()}, not a 32-bit integer");
        return result;
    }

    /// <summary>The "type" of a normalizer, pre-tokenizer, decoder or post-processor object.</summary>
    public string TypeOf(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Error($"{where} is not a JSON object");
        return RequiredString(element, "type", where);
    }

    /// <summary>The string of a pattern object <c>{"String": s}</c>, refusing <c>{"Regex": r}</c> where only text is supported.</summary>
    public string StringPattern(JsonElement parent, string where)
    {
        var pattern = Required(parent, "pattern", JsonValueKind.Object, where);
        if (Optional(pattern, "String") is { ValueKind: JsonValueKind.String } text)
            return text.GetString()!;
        throw Error($"{where}.pattern is {pattern.GetRawText()}; only {{\"String\": ...}} patterns are supported here");
    }
}
