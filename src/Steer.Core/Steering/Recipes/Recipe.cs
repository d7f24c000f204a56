using System.Text.Json.Serialization;
using Steer.Hooks;
using Steer.Steering.Methods;

namespace Steer.Steering.Recipes;

/// <summary>
/// An example of the ActAdd post, as data: the additions (at GPT-2-XL's layers; a pair is padded with the model's
/// default token), the prompt, how many tokens the post generated, and what it reported.
/// </summary>
public sealed record Recipe(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("additions")] IReadOnlyList<Addition> Additions,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("tokens")] int Tokens,
    [property: JsonPropertyName("outcome")] string Outcome)
{
    /// <summary>The post's layers are GPT-2-XL's, which has 48 blocks.</summary>
    public const int PostLayers = 48;

    /// <summary>
    /// A GPT-2-XL layer mapped to a model with <paramref name="layers"/> blocks by relative depth (a heuristic:
    /// the authors published no choices for smaller models).
    /// </summary>
    public static int ScaleLayer(int layer, int layers) =>
        layers == PostLayers ? layer : Math.Clamp((int)Math.Round(layer * (double)layers / PostLayers, MidpointRounding.AwayFromZero), 0, layers - 1);

    /// <summary>The GPT-2-XL block an addition of a recipe is at.</summary>
    public static int PostLayerOf(Addition addition) =>
        HookNames.LayerOf(addition.HookPoint)
        ?? throw new SteerException(ErrorKind.InvalidArgument, $"a recipe's addition is at '{addition.HookPoint}', which is not in a block");

    /// <summary>
    /// The recipe's additions for <paramref name="model"/>: each block scaled by relative depth (see
    /// <see cref="ScaleLayer"/>) and checked against the model. Build them with <see cref="ActAdd.Build"/>.
    /// </summary>
    /// <param name="padId">The token that pads every pair; null is the model's default.</param>
    public ScaledRecipe For(LanguageModel model, int? padId = null)
    {
        var messages = new List<string>();
        var additions = new List<Addition>();
        foreach (var addition in Additions)
        {
            var postLayer = PostLayerOf(addition);
            var layer = ScaleLayer(postLayer, model.Shape.Layers);
            if (layer != postLayer)
                messages.Add($"layer {postLayer} of GPT-2-XL's {PostLayers} scaled to layer {layer} of this model's {model.Shape.Layers} by relative depth");
            ActAdd.HookPointOf(model, layer);   // a 48-layer model is not scaled, so its layers are checked here
            var prefix = $"blocks.{postLayer}.";
            additions.Add(addition with { HookPoint = $"blocks.{layer}.{addition.HookPoint[prefix.Length..]}", PadId = padId ?? addition.PadId });
        }
        if (additions.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, $"recipe '{Name}' has no additions");
        return new ScaledRecipe(additions, messages);
    }

    /// <summary>
    /// Every addition of the recipe moved to block <paramref name="layer"/> of <paramref name="model"/>, with its
    /// own coefficient times <paramref name="coeff"/>: what a layer sweep measures.
    /// </summary>
    public IReadOnlyList<Addition> At(LanguageModel model, int layer, double coeff = 1, int? padId = null)
    {
        var hookPoint = ActAdd.HookPointOf(model, layer);
        return Additions.Count == 0
            ? throw new SteerException(ErrorKind.InvalidArgument, $"recipe '{Name}' has no additions")
            : Additions.Select(a => a with { HookPoint = hookPoint, Coeff = a.Coeff * coeff, PadId = padId ?? a.PadId }).ToList();
    }

    /// <summary>The recipe's vector on <paramref name="model"/>: <see cref="For"/>'s additions, built.</summary>
    public SteeringVector Build(LanguageModel model, int? padId = null) => ActAdd.Build(model, For(model, padId).Additions);

    /// <summary>The vector of <see cref="At"/>'s additions.</summary>
    public SteeringVector BuildAt(LanguageModel model, int layer, double coeff = 1, int? padId = null) =>
        ActAdd.Build(model, At(model, layer, coeff, padId));
}

/// <summary>A recipe's additions adapted to one model, and what was adapted (e.g. layers scaled to a smaller model).</summary>
public sealed record ScaledRecipe(IReadOnlyList<Addition> Additions, IReadOnlyList<string> Notes);
