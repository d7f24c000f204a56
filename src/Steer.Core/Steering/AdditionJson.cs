using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Steer.Hooks;

namespace Steer.Steering;

/// <summary>
/// An <see cref="Addition"/> as JSON: <c>{"hook_point", "coeff", "plus", "minus", "pad_id"}</c>, with
/// <c>plus_ids</c>, <c>minus_ids</c>, <c>"pad": false</c>, <c>record_hook_point</c> and <c>"rescale": true</c> written only when used, so that the common shape stays
/// the one clients already read. Reading also takes <c>layer</c> (a block number or a hook point name, as recipes
/// write it) and the PascalCase keys that vector files had before the metadata became snake_case.
/// </summary>
internal sealed class AdditionJson : JsonConverter<Addition>
{
    public override Addition Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        try
        {
            return FromElement(document.RootElement);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A field of the wrong type (e.g. "coeff": "five"): a JSON error like any other malformed input.
            throw new JsonException($"an addition has a field of the wrong type: {e.Message}", e);
        }
    }

    public override void Write(Utf8JsonWriter writer, Addition value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("hook_point", value.HookPoint);
        writer.WriteNumber("coeff", value.Coeff);
        writer.WriteString("plus", value.Plus);
        writer.WriteString("minus", value.Minus);
        if (value.PadId is { } padId) writer.WriteNumber("pad_id", padId);
        else writer.WriteNull("pad_id");
        WriteIds(writer, "plus_ids", value.PlusIds);
        WriteIds(writer, "minus_ids", value.MinusIds);
        if (!value.Pad) writer.WriteBoolean("pad", false);
        if (value.RecordHookPoint is { } record) writer.WriteString("record_hook_point", record);
        if (value.RescaleToHookPoint) writer.WriteBoolean("rescale", true);
        writer.WriteEndObject();
    }

    private static Addition FromElement(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object) throw new JsonException("an addition must be a JSON object");
        // Files written before the metadata was snake_case have "HookPoint", "Coeff", "Plus", "Minus", "PadId".
        var legacy = json.TryGetProperty("HookPoint", out _);
        JsonElement? Field(string snake, string pascal) =>
            json.TryGetProperty(snake, out var value) || json.TryGetProperty(pascal, out value)
                ? value.ValueKind == JsonValueKind.Null ? null : value
                : null;

        var minus = Field("minus", "Minus")?.GetString();
        var minusIds = Ids(Field("minus_ids", "MinusIds"));
        var padId = Field("pad_id", "PadId")?.GetInt32();
        // Old metadata wrote an unpadded pair as a pair with no pad id; new metadata says "pad": false.
        var pad = Field("pad", "Pad")?.GetBoolean() ?? !(legacy && padId is null && (minus is not null || minusIds is not null));
        return new Addition
        {
            Plus = Field("plus", "Plus")?.GetString(),
            PlusIds = Ids(Field("plus_ids", "PlusIds")),
            Minus = minus,
            MinusIds = minusIds,
            HookPoint = Field("hook_point", "HookPoint")?.GetString() ?? HookPointOfLayer(Field("layer", "Layer")) ?? "",
            // A missing coefficient is not a number, so that whoever checks the addition refuses it.
            Coeff = Field("coeff", "Coeff")?.GetDouble() ?? double.NaN,
            Pad = pad,
            PadId = padId,
            RecordHookPoint = Field("record_hook_point", "RecordHookPoint")?.GetString() ?? HookPointOfLayer(Field("record_layer", "RecordLayer")),
            RescaleToHookPoint = Field("rescale", "RescaleToHookPoint")?.GetBoolean() ?? false,
        };
    }

    /// <summary>A block number means <c>blocks.L.hook_resid_pre</c>, as everywhere a layer is given.</summary>
    private static string? HookPointOfLayer(JsonElement? layer) => layer switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } number => HookNames.ResidPre(number.GetInt32()),
        { ValueKind: JsonValueKind.String } text when int.TryParse(text.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var block) =>
            HookNames.ResidPre(block),
        { ValueKind: JsonValueKind.String } text => text.GetString(),
        _ => throw new JsonException("layer must be a block number or a hook point name"),
    };

    private static int[]? Ids(JsonElement? ids) => ids?.EnumerateArray().Select(id => id.GetInt32()).ToArray();

    private static void WriteIds(Utf8JsonWriter writer, string name, IReadOnlyList<int>? ids)
    {
        if (ids is null) return;
        writer.WriteStartArray(name);
        foreach (var id in ids) writer.WriteNumberValue(id);
        writer.WriteEndArray();
    }
}
