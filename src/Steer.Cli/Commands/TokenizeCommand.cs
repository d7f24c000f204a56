using System.CommandLine;
using Steer.Cli.Commands.Shared;

namespace Steer.Cli.Commands;

/// <summary><c>steer tokenize --text T [--no-bos] [--json]</c></summary>
internal static class TokenizeCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var text = new Option<string>("--text") { Description = "The text to tokenize.", Required = true };
        var noBos = new Option<bool>("--no-bos") { Description = "Do not prepend the BOS token (GPT-2: <|endoftext|>)." };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\":[...],\"tokens\":[...]}." };
        var command = new Command("tokenize", "Show the GPT-2 token ids and pieces of a text.") { text, noBos, json };
        model.AddTo(command);
        command.SetAction(parse =>
        {
            var tokenizer = model.Tokenizer(parse);
            var ids = tokenizer.Encode(parse.GetValue(text)!, prependBos: !parse.GetValue(noBos));
            var tokens = ids.Select(tokenizer.TokenText).ToList();
            if (parse.GetValue(json))
                Json.Write(context.Output, new { ids, tokens });
            else
                for (var i = 0; i < ids.Count; i++)
                    context.Output.WriteLine($"{ids[i],6}  {Display.Quote(tokens[i])}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
