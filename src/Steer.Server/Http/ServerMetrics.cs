using Prometheus;

namespace Steer.Server.Http;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own: several hosts in one process (the tests) must not
/// share counters, so nothing goes to prometheus-net's static default registry.
/// </summary>
internal sealed class ServerMetrics
{
    // Generation on a CPU takes from milliseconds to minutes: the default buckets stop at 10 s.
    private static readonly double[] SecondsBuckets = Histogram.ExponentialBuckets(0.005, 2, 16);

    public ServerMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("steer_requests_total", "HTTP requests answered, by route pattern, method and status.", "route", "method", "status");
        Duration = factory.CreateHistogram("steer_request_duration_seconds", "Time from the start of a request to the end of its response.",
            new HistogramConfiguration { LabelNames = ["route"], Buckets = SecondsBuckets });
        TimeToFirstToken = factory.CreateHistogram("steer_time_to_first_token_seconds", "Time from the start of a completion request to its first generated token.",
            new HistogramConfiguration { LabelNames = ["route"], Buckets = SecondsBuckets });
        GeneratedTokens = factory.CreateCounter("steer_generated_tokens_total", "Tokens the model generated.");
        QueueDepth = factory.CreateGauge("steer_queue_depth", "Requests waiting for the inference worker.");
        BatchRows = factory.CreateHistogram("steer_batch_rows", "Rows (completions) in each generated batch.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 9) });
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public Counter Requests { get; }

    public Histogram Duration { get; }

    public Histogram TimeToFirstToken { get; }

    public Counter GeneratedTokens { get; }

    public Gauge QueueDepth { get; }

    public Histogram BatchRows { get; }

    /// <summary>Reads the queue and the worker's token count when scraped, so that neither has to report each change.</summary>
    public void SampleOnScrape(Func<int> queueDepth, Func<long> generatedTokens) => Registry.AddBeforeCollectCallback(() =>
    {
        QueueDepth.Set(queueDepth());
        GeneratedTokens.IncTo(generatedTokens());
    });
}
