using System.Globalization;
using System.Text.Json;

namespace Steer.Models;

/// <summary>
/// Typed reads of config.json's fields with Hugging Face's defaults, and errors that say in words what a field
/// should hold ("config.json: num_hidden_layers must be a whole number, got \"two\"").
/// </summary>
internal sealed class ConfigJson(JsonElement root, string source)
{
    public string Source => source;

    public bool Has(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out _);

    /// <summary>Present and not null.</summary>
    public bool HasValue(string name) => TryGet(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public int Int(string name, int fallback) => OptionalInt(name) ?? fallback;

    public int? OptionalInt(string name) =>
        !TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
            : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n
            : throw Wrong(name, "a whole number", value);

    public double Double(string name, double fallback) =>
        !TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null ? fallback
            : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
            : throw Wrong(name, "a number", value);

    public bool Bool(string name, bool fallback) =>
        !TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null ? fallback
            : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
            : throw Wrong(name, "true or false", value);

    public string? String(string name) =>
        !TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
            : value.ValueKind == JsonValueKind.String ? value.GetString()
            : throw Wrong(name, "a string", value);

    /// <summary>A field that is one whole number or a list of them (eos_token_id); empty when absent or null.</summary>
    public IReadOnlyList<int> IntOrList(string name)
    {
        if (!TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var single)) return [single];
        if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)))
            return [.. value.EnumerateArray().Select(e => e.GetInt32())];
        throw Wrong(name, "a whole number or a list of them", value);
    }

    /// <summary>A list of strings (layer_types); null when absent or null.</summary>
    public IReadOnlyList<string>? StringList(string name)
    {
        if (!TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            return [.. value.EnumerateArray().Select(e => e.GetString()!)];
        throw Wrong(name, "a list of strings", value);
    }

    /// <summary>A nested object (rope_scaling), or null when absent or null.</summary>
    public ConfigJson? Object(string name) =>
        !TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
            : value.ValueKind == JsonValueKind.Object ? new ConfigJson(value, $"{source}: {name}")
            : throw Wrong(name, "an object", value);

    private bool TryGet(string name, out JsonElement value)
    {
        value = default;
        return root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out value);
    }

    private SteerException Wrong(string name, string expected, JsonElement got) =>
        new(ErrorKind.InvalidModel, string.Create(CultureInfo.InvariantCulture, $"{source}: {name} must be {expected}, got {Shorten(got.GetRawText())}"));

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
