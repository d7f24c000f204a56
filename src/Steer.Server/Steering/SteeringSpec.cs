using System.Text.Json;
using Steer.Server.Contracts;
using Steer.Server.Http;
using Steer.Steering;
using Steer.Steering.Methods;
using Steer.Steering.Recipes;

namespace Steer.Server.Steering;

/// <summary>
/// A request's steering, checked against the model but not yet computed: building the vector runs the model, so
/// it happens on the inference thread (<see cref="ComputeAdditions"/>). Everything that can be checked without the
/// model's tensors is checked here, on the request's thread, so that bad input is a 400 before it is queued.
/// </summary>
/// <param name="Additions">The request's additions, checked, each with the request's pad id.</param>
/// <param name="PadId">The request's pad_id for every pair (the recipe's too); null is the model's default.</param>
internal sealed record SteeringSpec(IReadOnlyList<Addition> Additions, Recipe? Recipe, string? VectorId, SteeringOptions Options, int? PadId)
{
    /// <summary>What the registered vector is multiplied by.</summary>
    public double VectorScale { get; init; } = 1;

    /// <summary>Identifies what <see cref="ComputeAdditions"/> computes (not the registered vector, nor how it is applied), for the worker's cache.</summary>
    public string AdditionsKey => JsonSerializer.Serialize(new { Additions, Recipe = Recipe?.Name, PadId });

    public bool HasAdditions => Additions.Count > 0 || Recipe is not null;

    public static SteeringSpec? Parse(SteeringRequest? request, ModelDescription model, VectorRegistry vectors, string param = "steering")
    {
        if (request is null) return null;
        var spec = ParseVectorPart(request.Additions, request.Recipe, request.PadId, model, param);
        if (request.Vector is { } id && !vectors.Contains(id))
            throw ApiException.BadRequest($"no steering vector with id '{id}'; register one with POST /v1/vectors", $"{param}.vector", "vector_not_found");
        if (spec.Additions.Count == 0 && spec.Recipe is null && request.Vector is null)
            throw ApiException.BadRequest("steering needs additions, a recipe or a vector", param);
        if (request.Scale is { } scale && (!double.IsFinite(scale) || request.Vector is null))
            throw ApiException.BadRequest(request.Vector is null ? "scale multiplies a registered vector; give 'vector' too" : $"scale must be a finite number, got {scale}",
                $"{param}.scale");
        return spec with
        {
            VectorId = request.Vector,
            VectorScale = request.Scale ?? 1,
            Options = new SteeringOptions
            {
                Location = Checked(() => SteeringOptions.ParseLocation(request.Location ?? "front"), $"{param}.location"),
                ShortPrompt = Checked(() => SteeringOptions.ParseShortPrompt(request.ShortPrompt ?? "error", "short_prompt"), $"{param}.short_prompt"),
                PadId = spec.PadId,
                Positions = request.Positions is { } positions ? Checked(() => SteeringOptions.ParsePositions(positions), $"{param}.positions") : null,
                Operator = Checked(() => SteeringOptions.ParseOperator(request.Operator ?? "add"), $"{param}.operator"),
                SkipSpecialTokens = request.SkipSpecialTokens == true,
            },
        };
    }

    /// <summary>The additions, recipe and padding of a request (shared by completions and POST /v1/vectors).</summary>
    public static SteeringSpec ParseVectorPart(IReadOnlyList<JsonElement>? additions, string? recipeName, int? padId, ModelDescription model, string param)
    {
        if (padId is { } pad && (pad < 0 || pad >= model.Shape.VocabSize))
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
        var parsed = (additions ?? []).Select((a, i) => AdditionWire.Parse(a, model, Join(param, $"additions[{i}]")) with { PadId = padId }).ToList();
        return new SteeringSpec(parsed, recipe, null, new SteeringOptions(), padId);
    }

    /// <summary>
    /// Computes the recipe and the additions on the model (the inference thread only) as the command line does:
    /// the recipe's additions scaled to the model, then the request's, built by <see cref="ActAdd.Build"/>; null when there are none.
    /// </summary>
    public (SteeringVector? Vector, IReadOnlyList<string> Notes) ComputeAdditions(LanguageModel model)
    {
        var scaled = Recipe?.For(model, PadId);
        List<Addition> additions = [.. scaled?.Additions ?? [], .. Additions];
        return (additions.Count == 0 ? null : ActAdd.Build(model, additions), scaled?.Notes ?? []);
    }

    /// <summary>The whole vector: the computed additions plus the registered vector, looked up now (it may have been deleted since the request was checked).</summary>
    public SteeringVector Combine(SteeringVector? computed, VectorRegistry vectors)
    {
        if (VectorId is null) return computed!;
        var registered = (vectors.Get(VectorId)?.Vector
            ?? throw ApiException.BadRequest($"steering vector '{VectorId}' was deleted", "steering.vector", "vector_not_found")) * VectorScale;
        return computed is null ? registered : computed + registered;
    }

    /// <summary>The field's path for an error's <c>param</c>: "steering.pad_id" in a completion, "pad_id" at the top of a vector request.</summary>
    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    private static T Checked<T>(Func<T> parse, string param)
    {
        try
        {
            return parse();
        }
        catch (SteerException e)
        {
            throw ApiException.From(e, param);
        }
    }
}
