using System.Diagnostics;
using System.Globalization;
using Steer.Soak;

// The soak client: drives a running `steer serve` with the request mix for a fixed time, then prints a summary and
// exits 1 on any 5xx, hang, broken request or RSS growth over the limit after warm-up (2 on bad arguments).
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"soak: {e.Message}");
    Console.Error.WriteLine("usage: Steer.Soak --url http://127.0.0.1:PORT --seconds S [--pid SERVER_PID] [--workers 4] [--delay-ms 50] [--hang-seconds 60] [--chat]");
    return 2;
}

using var http = new HttpClient(new SocketsHttpHandler
{
    // Never drain an abandoned response to reuse its connection: the cancelled kind must really hang up mid-stream.
    MaxResponseDrainSize = 0,
    // The oversized kind sends `Expect: 100-continue`: the server answers 413 from the headers and closes the
    // connection; a client still uploading 1 MiB then sees a reset instead of the 413, a race of the client's. The
    // long timeout keeps the body back even when a loaded machine is slow to answer.
    Expect100ContinueTimeout = TimeSpan.FromSeconds(30),
})
{
    BaseAddress = options.Url,
    // Each request has its own hang deadline instead.
    Timeout = Timeout.InfiniteTimeSpan,
};
var kinds = new RequestMix(http).Kinds(options.Chat);
var recorder = new Recorder();

// Before the clock starts: one request of each kind, one at a time, then 8 per worker concurrently. The server's RSS
// climbs over its first few hundred requests (JIT, tiered recompilation, batch shapes, allocator arenas) and then
// stays flat; without this, a 30-second run on a slow machine would measure that climb as growth after warm-up.
// These requests are counted, and fail the soak like any other.
foreach (var kind in kinds)
{
    var watch = Stopwatch.StartNew();
    var outcome = await Timed(kind, 0);
    recorder.Add(kind, outcome, watch.Elapsed);
}
await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(w => Worker(w, 8, CancellationToken.None)));

var clock = Stopwatch.StartNew();
using var stop = new CancellationTokenSource(options.Duration);
using var stopSampling = new CancellationTokenSource();
var sampler = options.ServerPid is { } pid ? new RssSampler(pid) : null;
var sampling = sampler?.RunAsync(clock, stopSampling.Token) ?? Task.CompletedTask;

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"soak: {options.Duration.TotalSeconds:0} s against {options.Url}, {options.Workers} workers, {options.Delay.TotalMilliseconds:0} ms apart; kinds: {string.Join(", ", kinds.Select(k => k.Name))}; warm-up {options.WarmUp.TotalSeconds:0} s, after {recorder.Total} priming requests"));
var progress = Progress(stop.Token);
await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(w => Worker(w, int.MaxValue, stop.Token)));
await progress;
stopSampling.Cancel();
await sampling;

foreach (var line in recorder.Table())
    Console.WriteLine(line);
var failures = new List<string>();
if (recorder.Failures is { Count: > 0 } failed)
    failures.Add($"{failed.Count} failed requests, e.g. {string.Join("; ", failed.Distinct().Take(5))}");
if (sampler is not null && options.Duration <= options.WarmUp)
    Console.WriteLine("rss: not checked, the run is no longer than its warm-up");
else if (sampler is not null)
{
    var start = sampler.MedianAround(options.WarmUp);
    var end = sampler.MedianAround(null);
    if (start is null || end is null)
        failures.Add("the server's RSS could not be read");
    else
    {
        var growth = 100.0 * (end.Value - start.Value) / start.Value;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rss: {start / 1024.0:0.0} MiB at warm-up end ({options.WarmUp.TotalSeconds:0} s), {end / 1024.0:0.0} MiB at the end, growth {growth:+0.0;-0.0}% (limit {SoakOptions.MaxRssGrowthPercent}%)"));
        if (growth > SoakOptions.MaxRssGrowthPercent)
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"RSS grew {growth:0.0}% after warm-up"));
    }
}
foreach (var failure in failures)
    Console.WriteLine($"soak: FAIL: {failure}");
Console.WriteLine(failures.Count == 0 ? $"soak: PASS ({recorder.Total} requests)" : "soak: FAILED");
return failures.Count == 0 ? 0 : 1;

async Task Worker(int worker, int count, CancellationToken until)
{
    // Seeded per worker: a run's mix is reproducible, and the workers do not march through the kinds in step.
    var random = new Random(worker);
    var totalWeight = kinds.Sum(k => k.Weight);
    for (var (n, sent) = (worker, 0); sent < count && !until.IsCancellationRequested; n += options.Workers, sent++)
    {
        var pick = random.Next(totalWeight);
        var kind = kinds.First(k => (pick -= k.Weight) < 0);
        var watch = Stopwatch.StartNew();
        var outcome = await Timed(kind, n);
        recorder.Add(kind, outcome, watch.Elapsed);
        try
        {
            await Task.Delay(options.Delay, until);
        }
        catch (OperationCanceledException)
        {
            // The run is over; the loop condition ends this worker.
        }
    }
}

async Task<Outcome> Timed(RequestKind kind, int n)
{
    // Not tied to `stop`: a request started before the end runs to completion, so the last ones are measured too.
    using var deadline = new CancellationTokenSource(options.HangDeadline);
    try
    {
        return await kind.Send(n, deadline.Token);
    }
    catch (OperationCanceledException) when (deadline.IsCancellationRequested)
    {
        return Outcome.Hang(options.HangDeadline);
    }
    catch (HttpRequestException e)
    {
        return new Outcome(null, $"transport: {e.Message}");
    }
    catch (IOException e)
    {
        return new Outcome(null, $"transport: {e.Message}");
    }
}

async Task Progress(CancellationToken token)
{
    // About 20 lines whatever the duration, so that a 15-minute run shows the RSS over time without flooding the log.
    var every = TimeSpan.FromSeconds(Math.Max(5, Math.Round(options.Duration.TotalSeconds / 20)));
    using var timer = new PeriodicTimer(every);
    try
    {
        while (await timer.WaitForNextTickAsync(token))
        {
            var rss = sampler?.Latest is { } kib ? string.Create(CultureInfo.InvariantCulture, $", server RSS {kib / 1024.0:0.0} MiB") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,5:0} s: {recorder.Total} requests{rss}"));
        }
    }
    catch (OperationCanceledException)
    {
        // The run is over.
    }
}
