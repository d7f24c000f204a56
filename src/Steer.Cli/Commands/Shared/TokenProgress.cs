using System.Diagnostics;
using System.Globalization;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// Generation progress on stderr, on a terminal only: once generating has taken a couple of seconds, one line
/// redrawn in place with the tokens so far, the rate and the elapsed time; erased when generation ends, so the
/// output that follows starts on a clean line.
/// </summary>
/// <param name="expected">How many units the work should take; null when it is not known in advance.</param>
/// <param name="what">What is counted and done, e.g. ("generating", "tokens").</param>
internal sealed class TokenProgress(TextWriter error, bool enabled, int? expected, string doing = "generating", string units = "tokens") : IDisposable
{
    /// <summary>
    /// Progress of whatever the model does for a command (an evaluation, say), counted in forward passes: a hook on
    /// the final norm, which every pass reaches, so nothing in the library has to report. Disposing it detaches it.
    /// </summary>
    public static IDisposable ForwardPasses(LanguageModel model, CliContext context)
    {
        var progress = new TokenProgress(context.Error, context.ErrorIsTerminal, null, "working", "forward passes");
        var hook = model.Hooks.Add(Steer.Hooks.HookNames.LnFinalNormalized, (_, _) =>
        {
            progress.Token();
            return null;
        });
        return new Detach(hook, progress);
    }

    private sealed class Detach(IDisposable hook, TokenProgress progress) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            hook.Dispose();
            progress.Dispose();
        }
    }

    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Redraw = TimeSpan.FromMilliseconds(250);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _drawn = TimeSpan.Zero;
    private int _tokens;
    private readonly StatusLine _line = new(error);

    /// <summary>Counts one generated token (thread-safe enough for the one generating thread).</summary>
    public void Token()
    {
        _tokens++;
        if (!enabled) return;
        var elapsed = _clock.Elapsed;
        if (elapsed < Quiet || elapsed - _drawn < Redraw) return;
        _drawn = elapsed;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{doing}: {_tokens}{(expected is { } total ? $"/{total}" : "")} {units}, {_tokens / elapsed.TotalSeconds:F1}/s, {ProgressBar.Format(elapsed)}");
        _line.Draw(line);
    }

    public void Dispose() => _line.Dispose();
}
