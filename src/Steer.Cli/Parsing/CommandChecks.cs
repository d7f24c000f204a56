using System.CommandLine;
using System.CommandLine.Parsing;

namespace Steer.Cli.Parsing;

/// <summary>
/// A command's own checks (which options go together), run only when every given option's value parsed. The parser
/// skips its value errors once a check has failed, so "--coeff 1,5" without --plus would otherwise be reported as the
/// missing --plus; and a check that read the unparsed value would throw.
/// </summary>
internal static class CommandChecks
{
    public static void Add(Command command, Action<CommandResult> check) =>
        command.Validators.Add(result =>
        {
            if (!HasUnparsedValue(result)) check(result);
        });

    private static bool HasUnparsedValue(CommandResult result)
    {
        foreach (var option in result.Children.OfType<OptionResult>())
        {
            if (option.Implicit) continue;
            try
            {
                _ = option.GetValueOrDefault<object?>();
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
        return false;
    }
}
