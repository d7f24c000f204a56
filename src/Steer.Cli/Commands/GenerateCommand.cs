using System.CommandLine;
using Steer.Cli.Commands.Shared;
using Steer.Generation;

namespace Steer.Cli.Commands;

/// <summary><c>steer generate --prompt P | --ids 1,2,3 [-n N] [--max-new-tokens K] [sampling flags] [--json]</c></summary>
internal static class GenerateCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments();
        var input = new InputArguments("--prompt", "The prompt; <|endoftext|> is prepended unless --no-bos.");
        var sampling = new SamplingArguments(new SamplingOptions());
        var json = new Option<bool>("--json") { Description = "Print {\"prompt_ids\":[...],\"completions\":[{\"ids\":[...],\"text\":\"...\"}]}." };
        var command = new Command("generate", "Sample completions of a prompt.") { json };
        model.AddTo(command);
        input.AddTo(command);
        sampling.AddTo(command);
        command.SetAction(parse =>
        {
            var options = sampling.Options(parse);
            using var lm = model.Load(parse);
            var promptIds = input.Ids(parse, lm.Tokenizer);
            var asJson = parse.GetValue(json);
            var stream = !asJson && options.Count == 1;
            Action<int, int>? onToken = null;
            var decoder = lm.Tokenizer.CreateIncrementalDecoder();
            var promptShown = false;
            // The prompt is printed with the first token, once Generate has accepted it, so that an error
            // (such as a prompt too long for the context) leaves stdout empty.
            void ShowPrompt()
            {
                if (promptShown) return;
                context.Output.Write(input.Text(parse) ?? lm.Tokenizer.Decode(promptIds));
                promptShown = true;
            }
            if (stream)
                onToken = (_, id) =>
                {
                    ShowPrompt();
                    context.Output.Write(decoder.Push(id));
                    context.Output.Flush();
                };
            var result = lm.Generate([promptIds], options, onToken: onToken);
            if (asJson)
                Json.Write(context.Output, new
                {
                    prompt_ids = promptIds,
                    completions = result.Completions.Select(ids => new { ids, text = lm.Tokenizer.Decode(ids) }),
                    seed = result.Seed,
                });
            else if (stream)
            {
                ShowPrompt();
                // The bytes of a character the completion did not finish are still held back: print them as
                // U+FFFD, as the non-streamed and JSON text do.
                context.Output.WriteLine(decoder.Flush());
            }
            else
                for (var i = 0; i < result.Completions.Count; i++)
                {
                    context.Output.WriteLine($"--- completion {i + 1} of {result.Completions.Count} (seed {result.Seed}) ---");
                    context.Output.WriteLine((input.Text(parse) ?? lm.Tokenizer.Decode(promptIds)) + lm.Tokenizer.Decode(result.Completions[i]));
                }
            return ExitCodes.Ok;
        });
        return command;
    }
}
