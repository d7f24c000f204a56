using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Generation;

namespace Steer.Cli.Commands;

/// <summary><c>steer generate --prompt P | --ids 1,2,3 [-n N] [--max-new-tokens K] [sampling flags] [steering] [--json]</c></summary>
internal static class GenerateCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var input = new InputArguments("--prompt", "The prompt; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos.");
        var sampling = new SamplingArguments(new SamplingOptions());
        var steering = new SteeringArguments();
        var json = new Option<bool>("--json") { Description = "Print {\"prompt_ids\":[...],\"completions\":[{\"ids\":[...],\"text\":\"...\"}]}." };
        var command = new Command("generate", "Sample completions of a prompt, steered when steering options are given.") { json };
        model.AddTo(command);
        input.AddTo(command, steering.RecipeOption);
        sampling.AddTo(command);
        steering.AddTo(command);
        var chat = new Option<bool>("--chat") { Description = "Wrap --prompt as a user message in the model's chat template, ending with the assistant's cue." };
        command.Add(chat);
        command.SetAction(parse =>
        {
            var options = sampling.Options(parse);
            var recipe = steering.Recipe(parse);
            using var lm = model.Load(parse, recipe is null ? null : Steer.Steering.Recipes.RecipeBook.PostModel);
            var chatIds = parse.GetValue(chat) ? ChatInput.Ids(parse, model, lm, input.Text(parse)) : null;
            var promptIds = chatIds?.Ids ?? input.Ids(parse, lm.Tokenizer, recipe?.Prompt);
            var choice = steering.Build(parse, lm, promptIds: promptIds);
            var asJson = parse.GetValue(json);
            if (!asJson) SteeringJson.WriteNotes(context.Error, choice);
            var promptText = parse.GetValue(chat) ? lm.Tokenizer.Decode(promptIds) : input.Text(parse) ?? recipe?.Prompt ?? lm.Tokenizer.Decode(promptIds);
            var streamer = !asJson && options.Count == 1 ? new CompletionStreamer(context.Output, lm.Tokenizer, promptText) : null;
            var item = new GenerationItem(promptIds, options) { Steering = choice.Vector, SteeringOptions = choice.Options, ReplyStart = chatIds?.ReplyStart };
            // One completion streams its text; several show progress instead (on a terminal, after a couple of seconds).
            using var progress = new TokenProgress(context.Error, context.ErrorIsTerminal && streamer is null, options.Count * options.MaxNewTokens);
            var result = lm.GenerateMany([item], token =>
            {
                if (streamer is null) progress.Token();
                else streamer.Push(token.Id);
                return true;
            })[0];
            progress.Dispose();
            if (asJson)
                Json.Write(context.Output, new
                {
                    prompt_ids = promptIds,
                    steering = SteeringJson.Describe(choice),
                    completions = result.Completions.Select(ids => new { ids, text = lm.Tokenizer.Decode(ids) }),
                    seed = result.Seed,
                });
            else if (streamer is not null)
                streamer.Finish();
            else
                for (var i = 0; i < result.Completions.Count; i++)
                {
                    // Completion i draws from its own generator, derived from the seed and i: say what repeats it.
                    context.Output.WriteLine($"--- completion {i + 1} of {result.Completions.Count} " +
                        $"(generator {i + 1} of seed {result.Seed}: --seed {result.Seed} -n {result.Completions.Count} repeats it) ---");
                    context.Output.WriteLine(promptText + lm.Tokenizer.Decode(result.Completions[i]));
                }
            return ExitCodes.Ok;
        });
        return command;
    }
}
