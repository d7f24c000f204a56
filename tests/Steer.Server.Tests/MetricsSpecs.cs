using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Steer.Server.Tests.Infrastructure;

namespace Steer.Server.Tests;

/// <summary>GET /metrics: Prometheus text with request counts by route pattern, latencies, tokens, queue depth and batch sizes.</summary>
public sealed partial class MetricsSpecs(TestModel model) : IClassFixture<TestModel>
{
    private const string Completions = "steer_requests_total{route=\"/v1/completions\",method=\"POST\",status=\"200\"}";

    [Fact]
    public async Task Counters_grow_by_exactly_the_requests_made_between_two_scrapes()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        using var client = server.CreateClient();
        var before = await ScrapeAsync(client);

        // Act: two completions one after the other (two batches of one row), an unknown path, an unknown vector.
        var first = await client.PostAsync("/v1/completions", new { prompt = "Hello", max_tokens = 5, seed = 1 });
        var second = await client.PostAsync("/v1/completions", new { prompt = "Hello there", max_tokens = 7, seed = 2 });
        var unknown = await client.GetJsonAsync("/no/such/path");
        var unknownVector = await client.GetJsonAsync("/v1/vectors/vec_missing");
        var after = await ScrapeAsync(client);

        // Assert
        first.Status.ShouldBe(HttpStatusCode.OK, first.Body);
        second.Status.ShouldBe(HttpStatusCode.OK, second.Body);
        unknown.Status.ShouldBe(HttpStatusCode.NotFound);
        unknownVector.Status.ShouldBe(HttpStatusCode.NotFound);
        double Delta(string series) => after.GetValueOrDefault(series) - before.GetValueOrDefault(series);
        Delta(Completions).ShouldBe(2);
        Delta("steer_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}").ShouldBe(1);
        Delta("steer_requests_total{route=\"/v1/vectors/{id}\",method=\"GET\",status=\"404\"}").ShouldBe(1);
        Delta("steer_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"}").ShouldBe(1);   // the first scrape
        after.Keys.ShouldNotContain(k => k.Contains("/no/such/path"));
        Delta("steer_request_duration_seconds_count{route=\"/v1/completions\"}").ShouldBe(2);
        Delta("steer_time_to_first_token_seconds_count{route=\"/v1/completions\"}").ShouldBe(2);
        Delta("steer_time_to_first_token_seconds_sum{route=\"/v1/completions\"}")
            .ShouldBeLessThanOrEqualTo(Delta("steer_request_duration_seconds_sum{route=\"/v1/completions\"}"));
        var generated = CompletionTokens(first) + CompletionTokens(second);
        generated.ShouldBeGreaterThan(0);
        Delta("steer_generated_tokens_total").ShouldBe(generated);
        Delta("steer_batch_rows_count").ShouldBe(2);
        Delta("steer_batch_rows_sum").ShouldBe(2);
        after["steer_queue_depth"].ShouldBe(0);
    }

    [Fact]
    public async Task Two_hosts_in_one_process_count_separately()
    {
        // Arrange
        await using var one = await RealServer.StartAsync(model);
        await using var other = await RealServer.StartAsync(model);
        using var oneClient = one.CreateClient();
        using var otherClient = other.CreateClient();

        // Act
        await oneClient.PostAsync("/v1/completions", new { prompt = "Hello", max_tokens = 2 });
        var oneMetrics = await ScrapeAsync(oneClient);
        var otherMetrics = await ScrapeAsync(otherClient);

        // Assert
        oneMetrics[Completions].ShouldBe(1);
        otherMetrics.ContainsKey(Completions).ShouldBeFalse();
    }

    [Fact]
    public async Task A_client_that_leaves_before_its_answer_is_counted_as_499()
    {
        // Arrange
        await using var server = await RealServer.StartAsync(model);
        using var client = server.CreateClient();
        using var leaving = server.CreateClient();
        using var cancel = new CancellationTokenSource();
        var abandoned = leaving.PostAsync("/v1/completions", new { prompt = "Hello", max_tokens = 1000, seed = 1 }, cancel.Token);
        while ((await client.HealthAsync()).GetProperty("running").GetInt32() == 0) await Task.Delay(5);

        // Act
        await cancel.CancelAsync();
        await Should.ThrowAsync<TaskCanceledException>(abandoned);
        await client.WaitUntilIdleAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        Dictionary<string, double> metrics;
        while (!(metrics = await ScrapeAsync(client)).ContainsKey("steer_requests_total{route=\"/v1/completions\",method=\"POST\",status=\"499\"}")
               && DateTime.UtcNow < deadline) await Task.Delay(20);

        // Assert
        metrics["steer_requests_total{route=\"/v1/completions\",method=\"POST\",status=\"499\"}"].ShouldBe(1);
        metrics.ContainsKey(Completions).ShouldBeFalse();
    }

    private static int CompletionTokens(ApiResult result) => result.Json().GetProperty("usage").GetProperty("completion_tokens").GetInt32();

    /// <summary>Every sample of the exposition text by its series (<c>name{labels}</c>); fails on any line that is not a comment or a sample.</summary>
    private static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/plain");
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal)) continue;
            var sample = Sample().Match(line);
            sample.Success.ShouldBeTrue($"not a Prometheus sample: {line}");
            samples[sample.Groups["series"].Value] = double.Parse(sample.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return samples;
    }

    [GeneratedRegex("""^(?<series>[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})?) (?<value>[-+]?([0-9.]+([eE][-+]?[0-9]+)?|Inf|NaN))$""")]
    private static partial Regex Sample();
}
