using System.Diagnostics;
using System.Globalization;
using Steer.Evaluation.Corpus;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// A corpus run's progress on stderr, on a terminal only: one line redrawn in place with the share of the file read,
/// the documents and sentences so far, the elapsed time and an estimate of the rest; erased at the end.
/// </summary>
internal sealed class CorpusProgressLine(TextWriter error, bool enabled) : IProgress<CorpusProgress>, IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly StatusLine _line = new(error);

    public void Report(CorpusProgress value)
    {
        if (!enabled) return;
        var elapsed = _clock.Elapsed;
        var eta = value.FileShare is > 0.01 and < 1 ? $", ETA {ProgressBar.Format(elapsed * ((1 - value.FileShare) / value.FileShare))}" : "";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"scoring corpus: {value.FileShare:P0} read, {value.Documents} documents, {value.Sentences} sentences scored, {ProgressBar.Format(elapsed)}{eta}");
        _line.Draw(line);
    }

    public void Dispose() => _line.Dispose();
}
