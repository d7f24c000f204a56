using System.CommandLine;
using Steer.Chat;
using Steer.Cli.Commands.Chat;
using Steer.Cli.Commands.Shared;
using Steer.Generation;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer chat --model M [--message TEXT] [--system TEXT] [steering options] [--json]</c>: one turn of a chat through the
/// model's own template, the reply ending at the model's EOS ids; without --message, an interactive session
/// (<see cref="ChatSession"/>) reading the user's lines from the input.
/// </summary>
internal static class ChatCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var sampling = new SamplingArguments(new SamplingOptions());
        var steering = new SteeringArguments();
        var message = new Option<string?>("--message") { Description = "The user's message: one turn, printed as the assistant's reply. Without it, an interactive session (/help lists its commands)." };
        var system = new Option<string?>("--system") { Description = "A system message before it." };
        var json = new Option<bool>("--json") { Description = "Print {\"prompt_ids\":[...],\"reply\":\"...\",\"reply_ids\":[...],\"finish_reason\":\"stop|length\"}." };
        var command = new Command("chat", "Chat with a model through its own chat template, steered when steering options are given.") { message, system, json };
        model.AddTo(command);
        sampling.AddTo(command);
        steering.AddTo(command);
        command.SetAction(parse =>
        {
            var options = sampling.Options(parse) with { Count = 1 };
            var text = parse.GetValue(message);
            if (text is null && parse.GetValue(json))
                throw new SteerException(ErrorKind.InvalidArgument, "--json needs --message: an interactive session prints its replies as text");
            if (text is null && steering.IsRelative(parse))
                throw new SteerException(ErrorKind.InvalidArgument, "--coeff-relative measures one prompt, so it needs --message; in a session, /coeff scales the vector");
            using var lm = model.Load(parse);
            var source = ChatTemplateSource.FromDirectory(model.Files(parse).Directory)
                ?? throw new SteerException(ErrorKind.InvalidModel, $"{lm.Name} has no chat template (no chat_template in tokenizer_config.json and no chat_template.jinja)");
            if (text is null)
            {
                var session = steering.Build(parse, lm);
                SteeringJson.WriteNotes(context.Error, session);
                return new ChatSession(lm, source, options, session, parse.GetValue(system), context).Run();
            }
            var prompt = ChatPrompt.EncodeUserTurn(source, lm.Tokenizer, text, parse.GetValue(system));
            var choice = steering.Build(parse, lm, promptIds: prompt.Ids);
            if (!parse.GetValue(json)) SteeringJson.WriteNotes(context.Error, choice);
            var turn = ChatTurn.Generate(lm, prompt, options, choice.Vector, choice.Options);
            if (parse.GetValue(json))
                Json.Write(context.Output, new
                {
                    prompt_ids = prompt.Ids,
                    reply_start = prompt.ReplyStart,
                    steering = SteeringJson.Describe(choice),
                    reply = turn.Reply,
                    reply_ids = turn.Ids,
                    finish_reason = turn.FinishReason,
                    seed = turn.Seed,
                });
            else context.Output.WriteLine(turn.Reply);
            return ExitCodes.Ok;
        });
        return command;
    }
}
