using System.CommandLine;
using System.Globalization;
using Steer.Chat;
using Steer.Cli.Commands.Shared;

namespace Steer.Cli.Commands;

/// <summary>
/// <c>steer template render (--model M | --config tokenizer_config.json) --messages FILE.json [--tools FILE.json]
/// [--add-generation-prompt] [--kwargs JSON] [--now YYYY-MM-DD]</c>: exactly the text the model's chat template renders.
/// </summary>
internal static class TemplateCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelArguments(context);
        var config = new Option<string?>("--config") { Description = "A tokenizer_config.json holding the chat template (instead of --model)." };
        var messages = new Option<string>("--messages") { Description = "A JSON file with the list of messages.", Required = true };
        var tools = new Option<string?>("--tools") { Description = "A JSON file with the list of tool definitions." };
        var generationPrompt = new Option<bool>("--add-generation-prompt") { Description = "End with the template's cue for the assistant's reply." };
        var kwargs = new Option<string?>("--kwargs") { Description = "A JSON object of extra template variables, e.g. '{\"enable_thinking\": false}'." };
        var now = new Option<string?>("--now") { Description = "The date strftime_now sees (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS), for reproducible output; default: now." };
        var render = new Command("render", "Print exactly the text a chat template renders for a conversation (nothing added, not even a final newline).")
        {
            config, messages, tools, generationPrompt, kwargs, now,
        };
        model.AddTo(render);
        render.SetAction(parse =>
        {
            var moment = parse.GetValue(now) is { } nowText ? ParseMoment(nowText) : (DateTime?)null;
            if (parse.GetValue(config) is not null && model.IsGiven(parse)) throw new SteerException(ErrorKind.InvalidArgument, "give --model or --config, not both");
            var source = parse.GetValue(config) is { } configPath
                ? File.Exists(configPath) ? ChatTemplateSource.FromTokenizerConfig(configPath) : throw new SteerException(ErrorKind.NotFound, $"{configPath}: no such file")
                : ChatTemplateSource.FromDirectory(model.Files(parse).Directory);
            if (source is null)
                throw new SteerException(ErrorKind.InvalidModel, "this model has no chat template (no chat_template in tokenizer_config.json and no chat_template.jinja)");
            var text = ChatPrompt.Render(source, Read(parse.GetValue(messages)!), parse.GetValue(tools) is { } toolsPath ? Read(toolsPath) : null,
                parse.GetValue(generationPrompt), parse.GetValue(kwargs), moment);
            context.Output.Write(text);
            return ExitCodes.Ok;
        });
        return new Command("template", "Chat templates.") { render };
    }

    private static string Read(string path) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new SteerException(ErrorKind.NotFound, $"{path}: no such file");

    private static DateTime ParseMoment(string text) =>
        DateTime.TryParseExact(text, ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var moment)
            ? moment
            : throw new SteerException(ErrorKind.InvalidArgument, $"--now '{text}': give a date as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS");
}
