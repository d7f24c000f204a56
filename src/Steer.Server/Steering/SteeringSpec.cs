using System.Globalization;
using System.Text.Json;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Steering;
using Steer.Steering.Recipes;

namespace Steer.Server.Steering;

/// <summary>One checked addition: the hook point is a real one of this model.</summary>
internal sealed record AdditionSpec(string Plus, string? Minus, string HookPoint, double Coeff);

/// <summary>
/// A request's steering, checked against the model but not yet computed: building the vector runs the model, so
/// it happens on the inference thread (<see cref="Build"/>). Everything that can be checked without the model's
/// tensors is checked here, on the request's thread, so that bad input is a 400 before it is queued.
/// </summary>
internal sealed record SteeringSpec(IReadOnlyList<AdditionSpec> Additions, Recipe? Recipe, string? VectorId, SteeringOptions Options, int PadId)
{
    /// <summary>Identifies what <see cref="ComputeAdditions"/> computes (not the registered vector, nor how it is applied), for the worker's cache.</summary>
    public string AdditionsKey => JsonSerializer.Serialize(new { Additions, Recipe = Recipe?.Name, PadId });

    public bool HasAdditions => Additions.Count > 0 || Recipe is not null;

    public static SteeringSpec? Parse(SteeringRequest? request, LanguageModel model, VectorRegistry vectors, string param = "steering")
    {
        if (request is null) return null;
        var spec = ParseVectorPart(request.Additions, request.Recipe, request.PadId, model, param);
        if (request.Vector is { } id && !vectors.Contains(id))
            throw ApiException.BadRequest($"no steering vector with id '{id}'; register one with POST /v1/vectors", $"{param}.vector", "vector_not_found");
        if (spec.Additions.Count == 0 && spec.Recipe is null && request.Vector is null)
            throw ApiException.BadRequest("steering needs additions, a recipe or a vector", param);
        return spec with
        {
            VectorId = request.Vector,
            Options = new SteeringOptions
            {
                Location = ParseEnum<InjectionLocation>(request.Location ?? "front", $"{param}.location", "front, mid or back"),
                ShortPrompt = ParseEnum<ShortPromptPolicy>(request.ShortPrompt ?? "error", $"{param}.short_prompt", "error, pad or truncate"),
                PadId = spec.PadId,
            },
        };
    }

    /// <summary>The additions, recipe and padding of a request (shared by completions and POST /v1/vectors).</summary>
    public static SteeringSpec ParseVectorPart(IReadOnlyList<AdditionRequest>? additions, string? recipeName, int? padId, LanguageModel model, string param)
    {
        var pad = padId ?? 220;
        if (pad < 0 || pad >= model.Shape.VocabSize)
            throw ApiException.BadRequest($"pad_id {pad} is outside the vocabulary [0, {model.Shape.VocabSize})", Join(param, "pad_id"));
        Recipe? recipe = null;
        if (recipeName is not null)
        {
            // Built-in names only: RecipeBook.Find would also open a file path, which a remote client must not reach.
            recipe = RecipeBook.BuiltIn.FirstOrDefault(r => r.Name == recipeName)
                ?? throw ApiException.BadRequest(
                    $"no recipe named '{recipeName}'; built-in recipes: {string.Join(", ", RecipeBook.BuiltIn.Select(r => r.Name))}",
                    Join(param, "recipe"), "recipe_not_found");
        }
        var parsed = (additions ?? []).Select((a, i) => ParseAddition(a, model, Join(param, $"additions[{i}]"))).ToList();
        return new SteeringSpec(parsed, recipe, null, new SteeringOptions(), pad);
    }

    /// <summary>
    /// Computes the recipe and the additions on the model (the inference thread only), each on the clean model,
    /// summed; null when there are none.
    /// </summary>
    public SteeringVector? ComputeAdditions(LanguageModel model, out IReadOnlyList<string> notes)
    {
        var pair = new PairOptions { PadId = PadId };
        var parts = new List<SteeringVector>();
        var messages = new List<string>();
        if (Recipe is not null)
        {
            parts.Add(Recipe.Build(model, pair, out var recipeNotes));
            messages.AddRange(recipeNotes);
        }
        foreach (var a in Additions)
            parts.Add(a.Minus is null ? ActAdd.Single(model, a.Plus, a.HookPoint, a.Coeff) : ActAdd.Pair(model, a.Plus, a.Minus, a.HookPoint, a.Coeff, pair));
        notes = messages;
        return parts.Count == 0 ? null : parts.Aggregate((a, b) => a + b);
    }

    /// <summary>The whole vector: the computed additions plus the registered vector, looked up now (it may have been deleted since the request was checked).</summary>
    public SteeringVector Combine(SteeringVector? computed, VectorRegistry vectors)
    {
        if (VectorId is null) return computed!;
        var registered = vectors.Get(VectorId)?.Vector
            ?? throw ApiException.BadRequest($"steering vector '{VectorId}' was deleted", "steering.vector", "vector_not_found");
        return computed is null ? registered : computed + registered;
    }

    private static AdditionSpec ParseAddition(AdditionRequest? addition, LanguageModel model, string param)
    {
        if (addition is null) throw ApiException.BadRequest("an addition must be an object", param);
        if (addition.Plus is null) throw ApiException.BadRequest("an addition needs 'plus', the prompt whose activations are added", $"{param}.plus");
        if (addition.Coeff is not { } coeff) throw ApiException.BadRequest("an addition needs 'coeff'", $"{param}.coeff");
        if (!double.IsFinite(coeff)) throw ApiException.BadRequest($"coeff must be a finite number, got {coeff}", $"{param}.coeff");
        // The steering prompts are tokenised on the inference thread, so their length is checked here.
        foreach (var (text, field) in new[] { (addition.Plus, "plus"), (addition.Minus, "minus") })
            if (text is not null) Completions.CompletionPlan.CheckLength(model, text, $"{param}.{field}");
        return new AdditionSpec(addition.Plus, addition.Minus, HookPoint(addition.Layer, model, $"{param}.layer"), coeff);
    }

    /// <summary>A block number means blocks.L.hook_resid_pre, as on the command line; a string may also name any hook point.</summary>
    private static string HookPoint(JsonElement? layer, LanguageModel model, string param)
    {
        try
        {
            return layer switch
            {
                null => throw ApiException.BadRequest("an addition needs 'layer', a block number or a hook point name", param),
                { ValueKind: JsonValueKind.Number } number when number.TryGetInt32(out var block) => ActAdd.HookPointOf(model, block),
                { ValueKind: JsonValueKind.String } text when int.TryParse(text.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var block) =>
                    ActAdd.HookPointOf(model, block),
                { ValueKind: JsonValueKind.String } text => model.Hooks.Resolve(text.GetString()!),
                _ => throw ApiException.BadRequest("layer must be a block number or a hook point name", param),
            };
        }
        catch (SteerException e)
        {
            throw ApiException.From(e, param);
        }
    }

    /// <summary>The field's path for an error's <c>param</c>: "steering.pad_id" in a completion, "pad_id" at the top of a vector request.</summary>
    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    private static T ParseEnum<T>(string text, string param, string valid) where T : struct, Enum =>
        Enum.GetNames<T>().FirstOrDefault(name => name.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } match
            ? Enum.Parse<T>(match)
            : throw ApiException.BadRequest($"'{text}' is not a valid value: use {valid}", param);
}
