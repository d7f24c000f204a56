using System.CommandLine;
using System.CommandLine.Parsing;

namespace Steer.Cli.Parsing;

/// <summary>
/// Turns System.CommandLine's parse errors into the one line the README promises ("steer: error: ..."), with a
/// suggestion for a misspelled command or option, and a usage hint that names the command in question.
/// </summary>
internal static class ParseErrors
{
    /// <summary>
    /// The first error only: later ones are usually consequences of it. A value that did not parse comes before a
    /// command's own checks, which see that value as missing ("--coeff 1,5" is about the comma, not a missing --plus).
    /// </summary>
    public static string Message(ParseResult parse)
    {
        if (parse.UnmatchedTokens.Count > 0) return Unmatched(parse.CommandResult, parse.UnmatchedTokens[0]);
        var first = parse.Errors.OrderBy(e => e.SymbolResult is CommandResult ? 1 : 0).First();
        return first.Message.TrimEnd('.');
    }

    public static string UsageHint(ParseResult parse) => $"Run '{CommandPath(parse.CommandResult)} --help' for usage.";

    /// <summary>
    /// A command that only groups others ('steer', 'steer eval') given nothing to do: the user is asking what there is,
    /// so help answers rather than an error.
    /// </summary>
    public static bool IsBareGroup(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        return command.Action is null && command.Subcommands.Count > 0 && parse.UnmatchedTokens.Count == 0
            && !parse.CommandResult.Children.Any();
    }

    private static string Unmatched(CommandResult result, string token)
    {
        var command = result.Command;
        if (token.StartsWith('-') && token.Length > 1)
            return $"unknown option '{token}'" + Suggestions.DidYouMean(token, OptionNames(result));
        if (command.Subcommands.Count > 0)
        {
            var where = result.Parent is null ? "" : $" for '{CommandPath(result)}'";
            return $"unknown command '{token}'{where}" + Suggestions.DidYouMean(token, command.Subcommands.Where(c => !c.Hidden).SelectMany(Names));
        }
        return $"unexpected argument '{token}' (quote a value that contains spaces)";
    }

    /// <summary>The command's options and those it inherits (--help is declared on the root, for every command).</summary>
    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is not CommandResult command) continue;
            foreach (var option in command.Command.Options)
                if (!option.Hidden && (current == result || option.Recursive))
                    foreach (var name in Names(option)) yield return name;
        }
    }

    private static IEnumerable<string> Names(Symbol symbol) => symbol switch
    {
        Option option => option.Aliases.Prepend(option.Name),
        Command command => command.Aliases.Prepend(command.Name),
        _ => [symbol.Name],
    };

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
            if (current is CommandResult command) names.Insert(0, command.Parent is null ? "steer" : command.Command.Name);
        return string.Join(' ', names);
    }
}
