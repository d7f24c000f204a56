namespace Steer.Cli.Commands.Shared;

/// <summary>
/// One line of stderr redrawn in place (a carriage return, padded over the previous text) and erased when disposed,
/// so the output that follows starts on a clean line. The progress displays draw through it.
/// </summary>
internal sealed class StatusLine(TextWriter error) : IDisposable
{
    private int _width;

    public void Draw(string line)
    {
        error.Write("\r" + line.PadRight(_width));
        error.Flush();
        _width = line.Length;
    }

    public void Dispose()
    {
        if (_width == 0) return;
        error.Write("\r" + new string(' ', _width) + "\r");
        error.Flush();
        _width = 0;
    }
}
