using System.CommandLine;
using Steer.Cli.Commands.Shared;

namespace Steer.Cli.Commands;

/// <summary><c>steer score --text T | --ids 1,2,3 [--json]</c></summary>
internal static class ScoreCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments();
        var input = new InputArguments("--text", "The text to score; <|endoftext|> is prepended unless --no-bos.");
        var json = new Option<bool>("--json") { Description = "Print {\"ids\":[...],\"token_logprobs\":[...],\"perplexity\":x}." };
        var command = new Command("score", "Per-token log-probabilities and perplexity of a text.") { json };
        model.AddTo(command);
        input.AddTo(command);
        command.SetAction(parse =>
        {
            using var lm = model.Load(parse);
            var score = lm.Score(input.Ids(parse, lm.Tokenizer));
            if (parse.GetValue(json))
            {
                Json.Write(context.Output, new { ids = score.Ids, token_logprobs = score.TokenLogprobs, perplexity = score.Perplexity });
                return ExitCodes.Ok;
            }
            context.Output.WriteLine($"{"pos",4}  {"id",6}  {"logprob",9}  token");
            for (var t = 1; t < score.Ids.Count; t++)
                context.Output.WriteLine($"{t,4}  {score.Ids[t],6}  {score.TokenLogprobs[t - 1],9:F4}  {Display.Quote(lm.Tokenizer.TokenText(score.Ids[t]))}");
            context.Output.WriteLine($"perplexity {score.Perplexity:G6} over {score.TokenLogprobs.Count} predicted tokens");
            return ExitCodes.Ok;
        });
        return command;
    }
}
