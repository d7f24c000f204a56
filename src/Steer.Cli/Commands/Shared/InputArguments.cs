using System.CommandLine;
using Steer.Cli.Parsing;
using Steer.Tokenization;

namespace Steer.Cli.Commands.Shared;

/// <summary>A text (--prompt or --text) or literal token ids (--ids), and --no-bos.</summary>
/// <param name="defaultText">The text when neither input is given; null makes one of them required.</param>
internal sealed class InputArguments(string textOption, string textDescription, string? defaultText = null)
{
    private readonly Option<string?> _text = new(textOption) { Description = textDescription };
    private readonly Option<string?> _ids = new("--ids")
    {
        Description = "Comma-separated token ids, used literally (no BOS is added).",
    };
    private readonly Option<bool> _noBos = new("--no-bos")
    {
        Description = "Do not prepend the BOS token (GPT-2: <|endoftext|>) to the text.",
    };

    /// <param name="supplies">An option that, when given, can supply the text instead (e.g. --recipe's prompt).</param>
    public void AddTo(Command command, Symbol? supplies = null)
    {
        command.Add(_text);
        command.Add(_ids);
        command.Add(_noBos);
        CommandChecks.Add(command, result =>
        {
            var hasText = result.GetValue(_text) is not null;
            var hasIds = result.GetValue(_ids) is not null;
            var supplied = supplies switch
            {
                Option option => result.GetResult(option) is not null,
                Argument argument => result.GetResult(argument) is not null,
                _ => false,
            };
            if (hasText && hasIds) result.AddError($"give only one of {textOption} or --ids");
            else if (!hasText && !hasIds && !supplied && defaultText is null)
                result.AddError($"give {textOption} or --ids" + (supplies is null ? "" : $" (or {supplies.Name})"));
        });
    }

    /// <summary>The options this group adds, for commands that refuse them in another mode.</summary>
    public IReadOnlyList<Option> Options => [_text, _ids, _noBos];

    public bool IsGiven(ParseResult parse) => parse.GetValue(_text) is not null || parse.GetValue(_ids) is not null;

    public string? Text(ParseResult parse) => parse.GetValue(_text) ?? (parse.GetValue(_ids) is null ? defaultText : null);

    /// <summary>The input as ids; <paramref name="fallback"/> is tokenised (with BOS unless --no-bos) when neither input was given.</summary>
    public IReadOnlyList<int> Ids(ParseResult parse, ITokenizer tokenizer, string? fallback) =>
        IsGiven(parse) ? Ids(parse, tokenizer) : tokenizer.Encode(fallback!, PrependBos(parse));

    public bool PrependBos(ParseResult parse) => !parse.GetValue(_noBos);

    public IReadOnlyList<int> Ids(ParseResult parse, ITokenizer tokenizer) =>
        parse.GetValue(_ids) is { } ids ? ParseIds(ids) : tokenizer.Encode(Text(parse)!, PrependBos(parse));

    /// <summary>Token ids separated by commas or spaces ("1,495" or "1 495"), as --ids, --plus-ids and --minus-ids take them.</summary>
    public static int[] ParseIds(string text, string option = "--ids")
    {
        var parts = text.Split([',', ' '], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new SteerException(ErrorKind.InvalidArgument, $"{option} is empty; give at least one token id");
        return parts.Select(p => int.TryParse(p, out var id) && id >= 0 ? id
            : throw new SteerException(ErrorKind.InvalidArgument, $"{option}: '{p}' is not a token id (a non-negative integer)")).ToArray();
    }
}
