using System.Globalization;
using Steer.Hub;

namespace Steer.Cli.Commands.Shared;

/// <summary>
/// One line per file on a terminal, redrawn in place with '\r': name, percentage, bar, bytes, rate and time left,
/// e.g. <c>model.safetensors  45% [=====>      ] 2.9 GB/6.4 GB 48 MB/s ETA 1:12</c>. It ends with a newline when the
/// file is done or has failed, so that an error message starts on a line of its own. Kept under 80 columns, since
/// a line that wraps cannot be redrawn.
/// </summary>
internal sealed class DownloadProgressBar(TextWriter error) : IProgress<DownloadProgress>
{
    private const int NameWidth = 24;
    private const int BarWidth = 12;

    private readonly Lock _gate = new();
    private int _shown;
    private double _rate;

    public void Report(DownloadProgress value)
    {
        lock (_gate)
        {
            // The final report has no rate of its own; the file's last one is more telling than none.
            if (!value.Finished) _rate = value.BytesPerSecond;
            var line = Line(value, _rate);
            error.Write("\r" + line.PadRight(_shown));
            _shown = line.Length;
            if (value.Finished)
            {
                error.WriteLine();
                _shown = 0;
                _rate = 0;
            }
            error.Flush();
        }
    }

    internal static string Line(DownloadProgress value, double rate)
    {
        var name = Name(value.File);
        var speed = rate > 0 ? $" {Size((long)rate)}/s" : "";
        if (value.TotalBytes is not { } total || total <= 0)
            return $"{name} {Size(value.BytesDone)}{speed}";

        var fraction = Math.Clamp((double)value.BytesDone / total, 0, 1);
        var filled = (int)(fraction * BarWidth);
        var bar = fraction >= 1 && !value.Failed ? new string('=', BarWidth) : new string('=', filled) + ">" + new string(' ', BarWidth - filled - 1);
        var tail = value.Failed ? " failed"
            : value.Finished ? " done"
            : value.SecondsLeft is { } left ? " ETA " + Duration(left)
            : "";
        return $"{name} {fraction * 100,3:0}% [{bar}] {Size(value.BytesDone)}/{Size(total)}{speed}{tail}";
    }

    /// <summary>
    /// The file name in a fixed width. A long one loses its extension first ("model-00001-of-00002.safetensors"
    /// shows as "model-00001-of-00002", keeping the shard number), then its end.
    /// </summary>
    internal static string Name(string file)
    {
        if (file.Length > NameWidth) file = Path.GetFileNameWithoutExtension(file);
        return file.Length <= NameWidth ? file.PadRight(NameWidth) : file[..(NameWidth - 1)] + "…";
    }

    /// <summary>Decimal units, as the Hub's web pages show file sizes.</summary>
    internal static string Size(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    internal static string Duration(double seconds)
    {
        var time = TimeSpan.FromSeconds(Math.Min(Math.Ceiling(seconds), 359_999));
        return time.TotalHours >= 1
            ? $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}"
            : $"{time.Minutes}:{time.Seconds:00}";
    }
}
