namespace Steer.Cli;

/// <summary>Where a command writes. Tests pass string writers; the real program passes the console.</summary>
/// <param name="IsTerminal">Whether Output is an interactive terminal (enables streaming niceties and colour).</param>
/// <param name="ErrorIsTerminal">Whether Error is an interactive terminal (enables the download progress bar).</param>
/// <param name="Cancellation">Stops long-running commands (steer serve) as Ctrl+C does; tests use it.</param>
/// <param name="Input">Where interactive commands (steer chat without --message) read lines; null is the console.</param>
/// <param name="Width">Columns that tables fit into: the terminal's, or COLUMNS; null is no limit.</param>
/// <param name="Color">Whether Output may use ANSI colour and bold: a terminal, without NO_COLOR, not TERM=dumb.</param>
public sealed record CliContext(TextWriter Output, TextWriter Error, bool IsTerminal = false, bool ErrorIsTerminal = false,
    CancellationToken Cancellation = default, TextReader? Input = null, int? Width = null, bool Color = false)
{
    /// <summary><see cref="Input"/>, or the console's standard input.</summary>
    public TextReader Reader => Input ?? Console.In;
}
