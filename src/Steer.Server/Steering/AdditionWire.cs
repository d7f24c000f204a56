using System.Text.Json;
using Steer.Server.Http;
using Steer.Steering;

namespace Steer.Server.Steering;

/// <summary>
/// The one place a request's addition, <c>{"plus", "minus"?, "layer", "coeff"}</c>, becomes an <see cref="Addition"/>:
/// <c>layer</c> is a block number (<c>blocks.L.hook_resid_pre</c>, as on the command line) or a hook point name.
/// Each error is a 400 naming the field, as the typed request body gave before.
/// </summary>
internal static class AdditionWire
{
    public static Addition Parse(JsonElement addition, ModelDescription model, string param)
    {
        if (addition.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("an addition must be an object", param);
        var plus = Text(addition, "plus", param)
            ?? throw ApiException.BadRequest("an addition needs 'plus', the prompt whose activations are added", $"{param}.plus");
        var minus = Text(addition, "minus", param);
        var coeff = Number(addition, "coeff", param) ?? throw ApiException.BadRequest("an addition needs 'coeff'", $"{param}.coeff");
        if (!double.IsFinite(coeff)) throw ApiException.BadRequest($"coeff must be a finite number, got {coeff}", $"{param}.coeff");
        // The steering prompts are tokenised on the inference thread, so their length is checked here.
        Completions.CompletionPlan.CheckLength(model, plus, $"{param}.plus");
        if (minus is not null) Completions.CompletionPlan.CheckLength(model, minus, $"{param}.minus");
        return new Addition { Plus = plus, Minus = minus, HookPoint = HookPoint(Field(addition, "layer"), model, $"{param}.layer"), Coeff = coeff };
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
