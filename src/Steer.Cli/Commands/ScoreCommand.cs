using System.CommandLine;
using Steer.Cli.Commands.Shared;

namespace Steer.Cli.Commands;

/// <summary><c>steer score --text T | --ids 1,2,3 [steering] [--json]</c></summary>
internal static class ScoreCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var input = new InputArguments("--text", "The text to score; the BOS token (GPT-2: <|endoftext|>) is prepended, if the tokenizer adds one, unless --no-bos.");
        var steering = new SteeringArguments();
        var json = new Option<bool>("--json") { Description = "Print {\"ids\":[...],\"token_logprobs\":[...],\"perplexity\":x}." };
        var command = new Command("score", "Per-token log-probabilities and perplexity of a text, steered when steering options are given.") { json };
        model.AddTo(command);
        input.AddTo(command);
        steering.AddTo(command);
        command.SetAction(parse =>
        {
            // A recipe's vector belongs to gpt2-xl unless --model says otherwise, as in generate and compare.
            using var lm = model.Load(parse, steering.Recipe(parse) is null ? null : Steer.Steering.Recipes.RecipeBook.PostModel);
            var ids = input.Ids(parse, lm.Tokenizer);
            var choice = steering.Build(parse, lm, promptIds: ids);
            var score = lm.Score(ids, choice.Vector, choice.Options);
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new
                {
                    ids = score.Ids,
                    token_logprobs = score.TokenLogprobs,
                    perplexity = score.Perplexity,
                    steering = SteeringJson.Describe(choice),
                });
                return ExitCodes.Ok;
            }
            SteeringJson.WriteNotes(context.Error, choice);
            context.Output.WriteLine($"{"pos",4}  {"id",6}  {"logprob",9}  token");
            for (var t = 1; t < score.Ids.Count; t++)
                context.Output.WriteLine($"{t,4}  {score.Ids[t],6}  {score.TokenLogprobs[t - 1],9:F4}  {Display.Quote(lm.Tokenizer.TokenText(score.Ids[t]))}");
            context.Output.WriteLine($"perplexity {score.Perplexity:G6} over {score.TokenLogprobs.Count} predicted tokens");
            return ExitCodes.Ok;
        });
        return command;
    }
}
