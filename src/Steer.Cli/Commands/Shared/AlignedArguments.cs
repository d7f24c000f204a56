using System.CommandLine;
using Steer.Cli.Parsing;
using Steer.Evaluation;

namespace Steer.Cli.Commands.Shared;

/// <summary>The steering-aligned tokens of effectiveness and disruption (--aligned words or --aligned-ids) and --all-positions.</summary>
internal sealed class AlignedArguments
{
    private readonly Option<string?> _words = new("--aligned")
    {
        Description = "Comma-separated words the steering should make likely, each read after a space (\"wedding\" is \" wedding\") and one token, e.g. \"wedding,weddings,bride\".",
    };
    private readonly Option<string?> _ids = new("--aligned-ids")
    {
        Description = "The aligned tokens as comma-separated token ids, used literally.",
    };
    private readonly Option<bool> _allPositions = new("--all-positions")
    {
        Description = "Count the positions the vector is added at too (reported as masked and left out of the means by default).",
    };

    /// <param name="required">One of --aligned and --aligned-ids must be given (else only when the metric needs them).</param>
    public void AddTo(Command command, bool required)
    {
        command.Add(_words);
        command.Add(_ids);
        command.Add(_allPositions);
        CommandChecks.Add(command, result =>
        {
            var (hasWords, hasIds) = (result.GetValue(_words) is not null, result.GetValue(_ids) is not null);
            if (hasWords && hasIds) result.AddError("give only one of --aligned or --aligned-ids");
            else if (required && !hasWords && !hasIds) result.AddError("give --aligned or --aligned-ids");
        });
    }

    public Option<bool> AllPositionsOption => _allPositions;

    public bool AllPositions(ParseResult parse) => parse.GetValue(_allPositions);

    /// <summary>The aligned set; <paramref name="metric"/> names what needs it when neither option is given.</summary>
    public AlignedTokens Tokens(ParseResult parse, LanguageModel model, string metric)
    {
        if (parse.GetValue(_ids) is { } ids) return AlignedTokens.FromIds(InputArguments.ParseIds(ids, "--aligned-ids"), model.Shape.VocabSize);
        if (parse.GetValue(_words) is { } words) return AlignedTokens.FromWords(model.Tokenizer, words);
        throw new SteerException(ErrorKind.InvalidArgument, $"{metric} needs the aligned tokens: give --aligned or --aligned-ids");
    }

    /// <summary>"\" wedding\", \" bride\"", for settings and text output.</summary>
    public static string Describe(AlignedTokens aligned, LanguageModel model) =>
        string.Join(", ", aligned.Ids.Select(id => Display.Quote(model.Tokenizer.TokenText(id))));
}
