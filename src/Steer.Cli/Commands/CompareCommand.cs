using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Cli.Parsing;
using Steer.Steering.Recipes;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer compare --prompt P [steering] [-n 3] [--max-new-tokens 50] [sampling flags] [--seed 0] [--json | --markdown]</c>:
/// unsteered and steered completions side by side, both sides from the same seed.
/// </summary>
internal static class CompareCommand
{
    public static Command Create(CliContext context) => Build("compare",
        "Unsteered and steered completions side by side (the post's defaults: temperature 1, top-p 0.3, frequency penalty 1, seed 0).",
        context);

    /// <summary>The command, also used by 'steer recipes run' with the recipe given as an argument.</summary>
    internal static Command Build(string name, string description, CliContext context, Argument<string>? recipeArgument = null)
    {
        var model = new ModelArguments(context);
        var input = new InputArguments("--prompt", "The prompt; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos. A recipe supplies its own.");
        var sampling = new SamplingArguments(RecipeBook.PostSampling, defaultCount: 3, defaultMaxNewTokens: 50, defaultSeed: 0);
        var steering = new SteeringArguments();
        var json = new Option<bool>("--json") { Description = "Print {\"prompt_ids\":[...],\"steering\":{...},\"unsteered\":[{\"ids\":[...],\"text\":\"...\"}],\"steered\":[...]}." };
        var markdown = new Option<bool>("--markdown") { Description = "Print a Markdown table." };
        var command = new Command(name, description) { json, markdown };
        if (recipeArgument is not null) command.Add(recipeArgument);
        model.AddTo(command);
        input.AddTo(command, (Symbol?)recipeArgument ?? steering.RecipeOption);
        sampling.AddTo(command);
        steering.AddTo(command);
        var chat = new Option<bool>("--chat") { Description = "Wrap --prompt as a user message in the model's chat template, ending with the assistant's cue." };
        command.Add(chat);
        CommandChecks.Add(command, result =>
        {
            if (result.GetValue(json) && result.GetValue(markdown)) result.AddError("give only one of --json or --markdown");
            // Two recipes would be summed without a word, and the run would be neither recipe's.
            if (recipeArgument is not null && result.GetResult(steering.RecipeOption) is not null)
                result.AddError("'recipes run' runs one recipe; leave out --recipe (to combine recipes, save each with 'steer vector --recipe NAME' and give them as --vector)");
        });
        command.SetAction(parse =>
        {
            var recipe = recipeArgument is not null ? RecipeBook.Find(parse.GetValue(recipeArgument)!) : steering.Recipe(parse);
            var options = sampling.Options(parse, recipe?.Tokens);
            using var lm = model.Load(parse, recipe is null ? null : RecipeBook.PostModel);
            var chatIds = parse.GetValue(chat) ? ChatInput.Ids(parse, model, lm, input.Text(parse)) : null;
            var promptIds = chatIds?.Ids ?? input.Ids(parse, lm.Tokenizer, recipe?.Prompt);
            var choice = steering.Build(parse, lm, recipeArgument is null ? null : recipe, promptIds);
            if (choice.Vector is null)
                throw new SteerException(ErrorKind.InvalidArgument, "compare needs steering: --plus/--minus/--layer/--coeff, --add, --recipe or --vector");
            var promptText = parse.GetValue(chat) ? lm.Tokenizer.Decode(promptIds) : input.Text(parse) ?? recipe?.Prompt ?? lm.Tokenizer.Decode(promptIds);
            using var progress = new TokenProgress(context.Error, context.ErrorIsTerminal, 2 * options.Count * options.MaxNewTokens);
            var (unsteered, steered) = lm.Compare(promptIds, options, choice.Vector, choice.Options, chatIds?.ReplyStart, _ => progress.Token());
            progress.Dispose();
            var left = unsteered.Completions.Select(ids => lm.Tokenizer.Decode(ids)).ToList();
            var right = steered.Completions.Select(ids => lm.Tokenizer.Decode(ids)).ToList();
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    model = lm.Name,
                    prompt_ids = promptIds,
                    steering = SteeringJson.Describe(choice),
                    seed = unsteered.Seed,
                    unsteered = unsteered.Completions.Zip(left, (ids, text) => new { ids, text }),
                    steered = steered.Completions.Zip(right, (ids, text) => new { ids, text }),
                });
                return ExitCodes.Ok;
            }
            SteeringJson.WriteNotes(context.Error, choice);
            if (parse.GetValue(markdown))
                ComparisonTable.WriteMarkdown(context.Output, promptText, left, right);
            else
            {
                context.Output.WriteLine(SteeringJson.Summary(choice));
                ComparisonTable.WriteText(context.Output, promptText, left, right, ansi: context.Color, ComparisonTable.ColumnWidthFor(context.Width));
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
