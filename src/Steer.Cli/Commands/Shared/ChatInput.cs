using System.CommandLine;
using Steer.Chat;

namespace Steer.Cli.Commands.Shared;

/// <summary>--chat: the prompt as a user turn of the model's own chat template.</summary>
internal static class ChatInput
{
    public static ChatPromptIds Ids(ParseResult parse, ModelArguments model, LanguageModel lm, string? prompt)
    {
        if (prompt is null) throw new SteerException(ErrorKind.InvalidArgument, "--chat wraps --prompt as a user message; give --prompt (not --ids)");
        var source = ChatTemplateSource.FromDirectory(model.Files(parse).Directory)
            ?? throw new SteerException(ErrorKind.InvalidModel, $"{lm.Name} has no chat template (no chat_template in tokenizer_config.json and no chat_template.jinja), so --chat cannot be used");
        return ChatPrompt.EncodeUserTurn(source, lm.Tokenizer, prompt);
    }
}
