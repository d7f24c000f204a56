using System.Diagnostics;
using System.Globalization;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// Generation progress on stderr, on a terminal only: once generating has taken a couple of seconds, one line
/// redrawn in place with the tokens so far, the rate and the elapsed time; erased when generation ends, so the
/// output that follows starts on a clean line.
/// </summary>
internal sealed class TokenProgress(TextWriter error, bool enabled, int expected) : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Redraw = TimeSpan.FromMilliseconds(250);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _drawn = TimeSpan.Zero;
    private int _tokens;
    private int _width;

    /// <summary>Counts one generated token (thread-safe enough for the one generating thread).</summary>
    public void Token()
    {
        _tokens++;
        if (!enabled) return;
        var elapsed = _clock.Elapsed;
        if (elapsed < Quiet || elapsed - _drawn < Redraw) return;
        _drawn = elapsed;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"generating: {_tokens}/{expected} tokens, {_tokens / elapsed.TotalSeconds:F1} tok/s, {ProgressBar.Format(elapsed)}");
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
