namespace Steer.Cli;

/// <summary>Where a command writes. Tests pass string writers; the real program passes the console.</summary>
/// <param name="IsTerminal">Whether Output is an interactive terminal (enables streaming niceties and colour).</param>
public sealed record CliContext(TextWriter Output, TextWriter Error, bool IsTerminal = false)
{
    /// <summary>Whether Error is an interactive terminal (enables progress bars).</summary>
    public bool ErrorIsTerminal { get; init; }
}
