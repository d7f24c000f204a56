using System.CommandLine;
using Steer.Steering.Recipes;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// The steering of the eval commands: whatever steering options are given, else the vector of the post's
/// quantitative experiments (recipe weddings-topic: " weddings" − "" at GPT-2-XL's layer 16, c = 1, its layer
/// scaled to smaller models), so that every eval command runs out of the box.
/// </summary>
internal static class EvalSteering
{
    public const string DefaultRecipe = "weddings-topic";

    /// <summary>The model when --model is not given: gpt2-xl, the post's, when a recipe (or the default) supplies the vector.</summary>
    public static string? ModelFallback(SteeringArguments steering, ParseResult parse) =>
        steering.IsGiven(parse) && steering.Recipe(parse) is null ? null : RecipeBook.PostModel;

    public static SteeringChoice Build(SteeringArguments steering, ParseResult parse, LanguageModel model)
    {
        if (steering.IsGiven(parse)) return steering.Build(parse, model);
        var choice = steering.Build(parse, model, RecipeBook.Find(DefaultRecipe));
        return choice with { Notes = [$"no steering given: using recipe {DefaultRecipe} (\" weddings\" - \"\", c = 1), the post's quantitative vector", .. choice.Notes] };
    }

    /// <summary>One line saying what steers, for text output.</summary>
    public static string Describe(SteeringChoice choice) =>
        choice.Vector is null ? "none"
            : string.Join(" + ", choice.Vector.Metadata.Additions.Select(a =>
                (a.Minus is null ? $"\"{a.Plus}\"" : $"(\"{a.Plus}\" - \"{a.Minus}\")") + $" x {a.Coeff:G4} {SteeringJson.Where(a)}"))
              + (choice.Vector.Metadata.Additions.Count == 0 ? "a vector file" : "");
}
