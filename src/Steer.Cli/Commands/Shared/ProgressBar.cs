using Steer.Evaluation.Sweeps;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// A one-line progress bar with the elapsed time and an ETA, redrawn in place on stderr; silent unless stderr
/// is a terminal, so logs and pipes stay clean.
/// </summary>
internal sealed class ProgressBar(TextWriter error, bool enabled, int width = 30) : IProgress<SweepProgress>
{
    public void Report(SweepProgress value)
    {
        if (!enabled) return;
        var filled = value.Total == 0 ? width : value.Done * width / value.Total;
        var where = value.Layer is { } layer ? $"layer {layer}, c = {value.Coeff:G4}" : "unsteered baseline";
        var eta = value.Remaining is { } remaining ? Format(remaining) : "estimating";
        error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {value.Done}/{value.Total}  {where,-24} {Format(value.Elapsed)} elapsed, ETA {eta}   ");
        if (value.Done == value.Total) error.WriteLine();
        error.Flush();
    }

    public static string Format(TimeSpan time) =>
        time.TotalHours >= 1 ? $"{(int)time.TotalHours}h{time.Minutes:D2}m"
            : time.TotalMinutes >= 1 ? $"{(int)time.TotalMinutes}m{time.Seconds:D2}s"
            : time.TotalSeconds >= 1 ? $"{time.TotalSeconds:F0}s"
            : "<1s";   // never "0s" for work that is still going on
}
