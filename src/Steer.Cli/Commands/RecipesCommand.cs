using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Steering.Recipes;

namespace Steer.Cli.Commands;

/// <summary><c>steer recipes list [--json] | show NAME | run NAME [--model M]</c>: the post's examples.</summary>
internal static class RecipesCommand
{
    public static Command Create(CliContext context)
    {
        var listJson = new Option<bool>("--json") { Description = "Print the recipes as JSON." };
        var list = new Command("list", "List the post's examples.") { listJson };
        list.SetAction(parse =>
        {
            if (parse.GetValue(listJson))
            {
                Json.Write(context.Output, new { model = RecipeBook.PostModel, recipes = RecipeBook.BuiltIn.Select(Describe) });
                return ExitCodes.Ok;
            }
            var width = RecipeBook.BuiltIn.Max(r => r.Name.Length);
            foreach (var recipe in RecipeBook.BuiltIn)
                context.Output.WriteLine($"{recipe.Name.PadRight(width)}  {Summary(recipe)}  -> {recipe.Outcome}");
            return ExitCodes.Ok;
        });

        var showName = new Argument<string>("name") { Description = "A recipe name (see 'steer recipes list')." };
        var showJson = new Option<bool>("--json") { Description = "Print the recipe as JSON." };
        var show = new Command("show", "Show one recipe.") { showName, showJson };
        show.SetAction(parse =>
        {
            var recipe = RecipeBook.Find(parse.GetValue(showName)!);
            if (parse.GetValue(showJson))
            {
                Json.Write(context.Output, Describe(recipe));
                return ExitCodes.Ok;
            }
            context.Output.WriteLine($"name      {recipe.Name}");
            foreach (var a in recipe.Additions)
                context.Output.WriteLine($"addition  {Addition(a)}");
            context.Output.WriteLine($"prompt    \"{recipe.Prompt}\"");
            context.Output.WriteLine($"tokens    {recipe.Tokens}");
            context.Output.WriteLine($"outcome   {recipe.Outcome}");
            context.Output.WriteLine($"model     {RecipeBook.PostModel} ({Recipe.PostLayers} layers); other sizes scale the layer by relative depth");
            return ExitCodes.Ok;
        });

        var runName = new Argument<string>("name") { Description = "A recipe name or recipe file." };
        var run = CompareCommand.Build("run", "Run a recipe: unsteered and steered completions side by side.", context, runName);
        return new Command("recipes", "The examples of 'Steering GPT-2-XL by adding an activation vector'.") { list, show, run };
    }

    private static object Describe(Recipe recipe) => new
    {
        name = recipe.Name,
        additions = recipe.Additions.Select(a => new { plus = a.Plus, minus = a.Minus, layer = Recipe.PostLayerOf(a), coeff = a.Coeff }),
        prompt = recipe.Prompt,
        tokens = recipe.Tokens,
        outcome = recipe.Outcome,
    };

    private static string Summary(Recipe recipe) => string.Join(" + ", recipe.Additions.Select(Addition));

    private static string Addition(Steer.Steering.Addition a) =>
        (a.Minus is null ? $"\"{a.Plus}\"" : $"\"{a.Plus}\" - \"{a.Minus}\"") + $" @ layer {Recipe.PostLayerOf(a)}, c = {a.Coeff:G}";
}
