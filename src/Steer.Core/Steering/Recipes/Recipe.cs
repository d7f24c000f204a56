using System.Text.Json.Serialization;

namespace Steer.Steering.Recipes;

/// <summary>One activation addition of a recipe: a prompt pair (or a single prompt when Minus is null) at a GPT-2-XL layer.</summary>
public sealed record RecipeAddition(
    [property: JsonPropertyName("plus")] string Plus,
    [property: JsonPropertyName("minus")] string? Minus,
    [property: JsonPropertyName("layer")] int Layer,
    [property: JsonPropertyName("coeff")] double Coeff);

/// <summary>An example of the ActAdd post, as data: the additions, the prompt, how many tokens the post generated, and what it reported.</summary>
public sealed record Recipe(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("additions")] IReadOnlyList<RecipeAddition> Additions,
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

    /// <summary>
    /// Builds the recipe's vector on <paramref name="model"/>: each addition computed on the clean model, pairs
    /// right-padded with <paramref name="pair"/>'s pad token, then summed.
    /// </summary>
    /// <param name="notes">What was adapted, e.g. layers scaled to a smaller model.</param>
    public SteeringVector Build(LanguageModel model, PairOptions? pair, out IReadOnlyList<string> notes)
    {
        var messages = new List<string>();
        SteeringVector? vector = null;
        foreach (var addition in Additions)
        {
            var layer = ScaleLayer(addition.Layer, model.Shape.Layers);
            if (layer != addition.Layer)
                messages.Add($"layer {addition.Layer} of GPT-2-XL's {PostLayers} scaled to layer {layer} of this model's {model.Shape.Layers} by relative depth");
            var part = addition.Minus is null
                ? ActAdd.Single(model, addition.Plus, layer, addition.Coeff)
                : ActAdd.Pair(model, addition.Plus, addition.Minus, layer, addition.Coeff, pair);
            vector = vector is null ? part : vector + part;
        }
        notes = messages;
        return vector ?? throw new SteerException(ErrorKind.InvalidArgument, $"recipe '{Name}' has no additions");
    }

    /// <summary>
    /// Every addition of the recipe moved to block <paramref name="layer"/> of <paramref name="model"/>, with its
    /// own coefficient times <paramref name="coeff"/>: what a layer sweep measures.
    /// </summary>
    public SteeringVector BuildAt(LanguageModel model, int layer, double coeff = 1, PairOptions? pair = null)
    {
        SteeringVector? vector = null;
        foreach (var addition in Additions)
        {
            var part = addition.Minus is null
                ? ActAdd.Single(model, addition.Plus, layer, addition.Coeff * coeff)
                : ActAdd.Pair(model, addition.Plus, addition.Minus, layer, addition.Coeff * coeff, pair);
            vector = vector is null ? part : vector + part;
        }
        return vector ?? throw new SteerException(ErrorKind.InvalidArgument, $"recipe '{Name}' has no additions");
    }
}
