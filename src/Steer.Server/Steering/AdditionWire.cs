using System.Text.Json;
using Steer.Server.Http;
using Steer.Steering;

namespace Steer.Server.Steering;

/// <summary>
/// The one place a request's addition, <c>{"plus", "minus"?, "layer", "coeff"}</c>, becomes an <see cref="Addition"/>:
/// <c>layer</c> is a block number (<c>blocks.L.hook_resid_pre</c>, as on the command line) or a hook point name.
/// <c>record_layer</c> (same forms) and <c>"rescale": true</c> transplant the vector, as --record-layer and
/// --rescale-to-layer do.
/// <c>plus_ids</c> / <c>minus_ids</c> give a prompt as literal token ids instead (no BOS added), as --plus-ids does.
/// Each error is a 400 naming the field, as the typed request body gave before.
/// </summary>
internal static class AdditionWire
{
    public static Addition Parse(JsonElement addition, ModelDescription model, string param)
    {
        if (addition.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("an addition must be an object", param);
        var plus = Text(addition, "plus", param);
        var plusIds = Ids(addition, "plus_ids", model, param);
        if (plus is not null && plusIds is not null) throw ApiException.BadRequest("give 'plus' or 'plus_ids', not both", $"{param}.plus_ids");
        if (plus is null && plusIds is null)
            throw ApiException.BadRequest("an addition needs 'plus' (or 'plus_ids'), the prompt whose activations are added", $"{param}.plus");
        var minus = Text(addition, "minus", param);
        var minusIds = Ids(addition, "minus_ids", model, param);
        if (minus is not null && minusIds is not null) throw ApiException.BadRequest("give 'minus' or 'minus_ids', not both", $"{param}.minus_ids");
        var coeff = Number(addition, "coeff", param) ?? throw ApiException.BadRequest("an addition needs 'coeff'", $"{param}.coeff");
        if (!double.IsFinite(coeff)) throw ApiException.BadRequest($"coeff must be a finite number, got {coeff}", $"{param}.coeff");
        // The steering prompts are tokenised on the inference thread, so their length is checked here.
        if (plus is not null) Completions.CompletionPlan.CheckLength(model, plus, $"{param}.plus");
        if (minus is not null) Completions.CompletionPlan.CheckLength(model, minus, $"{param}.minus");
        return new Addition
        {
            Plus = plus,
            PlusIds = plusIds,
            Minus = minus,
            MinusIds = minusIds,
            HookPoint = HookPoint(Field(addition, "layer"), model, $"{param}.layer"),
            Coeff = coeff,
            RecordHookPoint = Field(addition, "record_layer") is { } record ? HookPoint(record, model, $"{param}.record_layer") : null,
            RescaleToHookPoint = Rescale(addition, param),
        };
    }

    /// <summary>"rescale": true multiplies a transplanted vector (one with "record_layer") to the injection layer's size.</summary>
    private static bool Rescale(JsonElement addition, string param) => Field(addition, "rescale") switch
    {
        null => false,
        { ValueKind: JsonValueKind.True } when Field(addition, "record_layer") is null =>
            throw ApiException.BadRequest("rescale resizes a transplanted vector; give 'record_layer' too", $"{param}.rescale"),
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw WrongType($"{param}.rescale"),
    };

    /// <summary>A non-empty list of token ids inside the model's vocabulary and context, or null when absent.</summary>
    private static int[]? Ids(JsonElement addition, string name, ModelDescription model, string param)
    {
        if (Field(addition, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            throw ApiException.BadRequest($"{name} must be a non-empty list of token ids", $"{param}.{name}");
        var ids = new int[value.GetArrayLength()];
        var i = 0;
        foreach (var id in value.EnumerateArray())
        {
            if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out ids[i]) || ids[i] < 0 || ids[i] >= model.Shape.VocabSize)
                throw ApiException.BadRequest($"{name}[{i}] must be a token id from 0 to {model.Shape.VocabSize - 1}, got {id.GetRawText()}", $"{param}.{name}[{i}]");
            i++;
        }
        if (ids.Length > model.Shape.ContextLength)
            throw ApiException.BadRequest($"{name} has {ids.Length} tokens but the model's context is {model.Shape.ContextLength}", $"{param}.{name}");
        return ids;
    }

    private static string HookPoint(JsonElement? layer, ModelDescription model, string param)
    {
        try
        {
            return layer switch
            {
                null => throw ApiException.BadRequest("an addition needs 'layer', a block number or a hook point name", param),
                { ValueKind: JsonValueKind.Number } number when number.TryGetInt32(out var block) => model.HookPointOf(block),
                { ValueKind: JsonValueKind.String } text => model.HookPointOf(text.GetString()!),
                _ => throw ApiException.BadRequest("layer must be a block number or a hook point name", param),
            };
        }
        catch (SteerException e)
        {
            throw ApiException.From(e, param);
        }
    }

    /// <summary>The field, or null when it is absent or JSON null (the body's other optional fields read the same way).</summary>
    private static JsonElement? Field(JsonElement addition, string name) =>
        addition.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? Text(JsonElement addition, string name, string param) => Field(addition, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } text => text.GetString(),
        _ => throw WrongType($"{param}.{name}"),
    };

    private static double? Number(JsonElement addition, string name, string param) => Field(addition, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } number when number.TryGetDouble(out var value) => value,
        _ => throw WrongType($"{param}.{name}"),
    };

    /// <summary>The message <see cref="ApiJson"/> gives a typed field of the wrong type.</summary>
    private static ApiException WrongType(string param) => ApiException.BadRequest($"'{param}' has a value of the wrong type", param);
}
