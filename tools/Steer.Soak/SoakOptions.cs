using System.Globalization;

namespace Steer.Soak;

/// <summary>The command line: <c>--url U --seconds S [--pid P] [--workers N] [--delay-ms D] [--hang-seconds H] [--chat]</c>.</summary>
internal sealed record SoakOptions(Uri Url, TimeSpan Duration, int? ServerPid, int Workers, TimeSpan Delay, TimeSpan HangDeadline, bool Chat)
{
    /// <summary>The issue bounds a soak to 15 minutes, so that it can never be left running by mistake.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(15);

    public const double MaxRssGrowthPercent = 10;

    /// <summary>
    /// The first 20% of the run, at least 10 s: long enough for JIT, the allocator's arenas and the first batches to
    /// settle, so that the RSS measured after it is the steady state a leak would grow from.
    /// </summary>
    public TimeSpan WarmUp => TimeSpan.FromSeconds(Math.Max(10, Duration.TotalSeconds * 0.2));

    public static SoakOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var chat = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--chat")
                chat = true;
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
                values[args[i]] = args[++i];
            else
                throw new ArgumentException($"unexpected argument '{args[i]}'");
        }
        string Get(string name, string? fallback = null) =>
            values.GetValueOrDefault(name) ?? fallback ?? throw new ArgumentException($"{name} is required");
        double Number(string name, string fallback) => double.Parse(Get(name, fallback), CultureInfo.InvariantCulture);

        var duration = TimeSpan.FromSeconds(Number("--seconds", "30"));
        if (duration <= TimeSpan.Zero || duration > MaxDuration)
            throw new ArgumentException($"--seconds must be in (0, {MaxDuration.TotalSeconds}]");
        var url = new Uri(Get("--url"));
        // Loopback only: a soak sends a steady stream of requests, some of them 1 MiB, and must never aim that at a
        // shared server by accident.
        if (!url.IsLoopback)
            throw new ArgumentException($"--url must be a loopback address, got {url}");
        var workers = (int)Number("--workers", "4");
        if (workers < 1)
            throw new ArgumentException("--workers must be at least 1");
        return new SoakOptions(
            url,
            duration,
            values.TryGetValue("--pid", out var pid) ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
            workers,
            TimeSpan.FromMilliseconds(Number("--delay-ms", "50")),
            TimeSpan.FromSeconds(Number("--hang-seconds", "60")),
            chat);
    }
}
