using System.Globalization;

namespace Steer.Soak;

/// <summary>Samples a process's resident set size (VmRSS in /proc/PID/status) once a second.</summary>
internal sealed class RssSampler(int pid)
{
    private readonly List<(TimeSpan At, long Kib)> samples = [];

    public long? Latest
    {
        get
        {
            lock (samples)
                return samples.Count == 0 ? null : samples[^1].Kib;
        }
    }

    public async Task RunAsync(System.Diagnostics.Stopwatch clock, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            if (Read() is { } kib)
                lock (samples)
                    samples.Add((clock.Elapsed, kib));
        }
        while (await Tick(timer, stop));
    }

    /// <summary>
    /// The median of the samples within 3 s of <paramref name="at"/> (or of the last 5 when it is null): one sample
    /// can catch the managed heap just before a collection, and a single one would then make or hide a 10% change.
    /// </summary>
    public long? MedianAround(TimeSpan? at)
    {
        lock (samples)
        {
            var window = at is { } t
                ? samples.Where(s => (s.At - t).Duration() <= TimeSpan.FromSeconds(3)).ToList()
                : samples.TakeLast(5).ToList();
            if (window.Count == 0)
                return null;
            var sorted = window.Select(s => s.Kib).Order().ToList();
            return sorted[sorted.Count / 2];
        }
    }

    private long? Read()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            // The server is gone: the requests' failures say so; the sampler only stops adding samples.
        }
        return null;
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
