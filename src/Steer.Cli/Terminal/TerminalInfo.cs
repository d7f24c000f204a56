namespace Steer.Cli.Terminal;

/// <summary>What the real console is: its width and whether to use colour, as the conventions say.</summary>
internal static class TerminalInfo
{
    /// <summary>
    /// Colour only on a terminal, and not when <c>NO_COLOR</c> is set to anything (https://no-color.org) or
    /// <c>TERM</c> is <c>dumb</c>.
    /// </summary>
    public static bool UseColor(bool isTerminal, Func<string, string?> environment) =>
        isTerminal && string.IsNullOrEmpty(environment("NO_COLOR")) && !string.Equals(environment("TERM"), "dumb", StringComparison.Ordinal);

    /// <summary>The console's columns on a terminal, else <c>COLUMNS</c> when it is a number, else null (no limit).</summary>
    public static int? Width(bool isTerminal, Func<string, string?> environment)
    {
        if (isTerminal)
        {
            try
            {
                if (Console.WindowWidth is > 0 and var width) return width;
            }
            catch (IOException)
            {
            }
        }
        return int.TryParse(environment("COLUMNS"), out var columns) && columns > 0 ? columns : null;
    }
}
